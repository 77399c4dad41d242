/** The circuit-breaker scenario on the core API: events, `breaker.force`, times in ms. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'anthropic',
    baseUrl: rt.sim.urls.anthropic,
    keys: [{ name: 'main', secret: 'your-key' }],
    circuitBreaker: { failureThreshold: 5, resetTimeoutMs: 30_000 },
    retry: { maxRetries: 0 },
    ...rt.core,
  });
  for (const type of ['breaker.opened', 'breaker.halfOpen', 'breaker.closed'] as const) {
    board.on(type, (e) => rt.log(`  event ${type} (failures ${e.failureCount}, trips ${e.trips}) at t=${rt.elapsed()}s`));
  }
  const chat = (content: string) => board.chat({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content }] });

  rt.sim.configure({ anthropic: { outage: { status: 529 } } }); // Anthropic's "overloaded"
  const codes: string[] = [];
  for (let i = 0; i < 7; i++) codes.push(await chat(`q${i}`).then(() => 'ok', (e) => e.code));
  rt.log('7 requests during a 529 outage:', codes.join(', '));
  rt.check(codes.slice(0, 5).every((c) => c === 'SB_PROVIDER' || c === 'SB_RETRIES_EXHAUSTED'), 'the first five to reach the provider');
  rt.check(codes[5] === 'SB_CIRCUIT_OPEN' && board.state().breaker === 'open', 'the sixth to fail fast: the breaker is open');
  rt.check(rt.sim.stats().providers.anthropic.requests === 5, 'only 5 HTTP calls');

  rt.sim.configure({ anthropic: { outage: false } });
  await rt.sleep(30);
  rt.check(board.state().breaker === 'halfOpen', 'halfOpen after resetTimeoutMs');
  await chat('probe');
  rt.check(board.state().breaker === 'closed', 'closed after a good probe');

  board.send({ type: 'breaker.force', state: 'forcedOpen' });
  const refused = await chat('forced').catch((e) => e.code);
  board.send({ type: 'breaker.force', state: 'disabled' });
  rt.log(`forcedOpen refuses (${refused}); disabled lets everything through and counts nothing`);
  rt.check(refused === 'SB_CIRCUIT_OPEN', 'forcedOpen to refuse');

  const cb = board.report().circuitBreaker;
  rt.log('circuitBreaker:', JSON.stringify(cb));
  await board.stop();
  rt.ok(`opened after 5 failures, half-open 30 s later, closed by a probe; trips ${cb.trips}`);
}

runIfMain(import.meta.url, example);
