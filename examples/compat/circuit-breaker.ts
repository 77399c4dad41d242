/**
 * Guide: "Circuit Breaker Configuration". An outage trips the breaker after 5 failed attempts;
 * while it is open requests fail at once without reaching the provider; `reset_timeout` seconds
 * later one probe goes through, succeeds, and the circuit closes.
 */
import { openai_api } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create client
  const client = openai_api({ resources: {}, metadata: { openai_api_key: 'your-key', base_url: rt.sim.urls.openai } }, rt.compat);

  // Circuit breaker settings
  client.failure_threshold = 5; // Failures before opening circuit
  client.reset_timeout = 30; // Seconds to wait before trying half-open

  // A function, not a variable: circuit_state is live, and reading it again shows the change.
  const circuit = () => client.circuit_state;

  await client.chat('gpt-4o-mini', 'healthy');
  rt.log(`t=${rt.elapsed()}s circuit ${client.circuit_state}`);

  rt.sim.configure({ openai: { outage: true } }); // every request now answers 503
  const failed = await client.chat('gpt-4o-mini', 'during the outage').catch((e) => e);
  const upstream = rt.sim.stats().providers.openai.byStatus['503'] ?? 0;
  rt.log(`t=${rt.elapsed()}s request failed ${failed.code} after ${upstream} answers 503 (retries backed off meanwhile)`);
  rt.log(`t=${rt.elapsed()}s circuit ${client.circuit_state}, check_circuit_breaker() = ${client.check_circuit_breaker()}`);
  rt.check(circuit() === 'OPEN' && !client.check_circuit_breaker(), 'the circuit to be OPEN after 5 failures');
  rt.check(upstream === 5, 'exactly 5 attempts to reach the provider');

  const before = rt.sim.stats().requests;
  const fast = await client.chat('gpt-4o-mini', 'while open').catch((e) => e);
  rt.log(`t=${rt.elapsed()}s while open: ${fast.code} at once, retry after ${Math.round(fast.retryAfterMs)} ms; provider reached: ${rt.sim.stats().requests - before} times`);
  rt.check(fast.code === 'SB_CIRCUIT_OPEN' && rt.sim.stats().requests === before, 'an open circuit to fail fast without an HTTP call');

  rt.sim.configure({ openai: { outage: false } }); // the provider recovers
  await rt.sleep(client.reset_timeout);
  rt.log(`t=${rt.elapsed()}s after reset_timeout: circuit ${client.circuit_state}`);
  rt.check(circuit() === 'HALF_OPEN', 'HALF_OPEN after reset_timeout');

  const probe = await client.chat('gpt-4o-mini', 'probe');
  rt.log(`t=${rt.elapsed()}s probe answered "${probe.text}"; circuit ${client.circuit_state}`);
  rt.check(circuit() === 'CLOSED', 'a good probe to close the circuit');

  const report = client.generate_report();
  rt.log('circuit_breaker:', JSON.stringify(report.circuit_breaker));
  rt.log('errors:', JSON.stringify(report.errors));
  rt.check(report.circuit_breaker.trips === 1, 'one trip in the report');

  // Forcing it, as the combined example does with `client.circuit_state = "CLOSED"`.
  client.circuit_state = 'OPEN';
  rt.check(circuit() === 'OPEN', 'circuit_state = "OPEN" to force it open');
  client.circuit_state = 'CLOSED';
  await client.chat('gpt-4o-mini', 'after forcing closed');

  await client.stop();
  rt.ok(`tripped after 5 failures, failed fast while open, closed again ${client.reset_timeout} s later`);
}

runIfMain(import.meta.url, example);
