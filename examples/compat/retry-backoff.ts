/**
 * Guide: "Retry and Backoff Configuration". Transient failures (503, a 429 asking for 1 s, a
 * dropped connection) are retried with exponential backoff; after `max_retries` the request fails.
 */
import { openai_api } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create client
  const client = openai_api({ resources: {}, metadata: { openai_api_key: 'your-key', base_url: rt.sim.urls.openai } }, rt.compat);

  // Retry settings
  client.max_retries = 5; // Maximum retry attempts
  client.initial_retry_delay = 1; // Initial delay in seconds
  client.backoff_factor = 2; // Multiplicative factor
  client.max_retry_delay = 16; // Maximum delay cap in seconds

  client.failure_threshold = 10; // keep the breaker out of this demonstration
  const waits: string[] = [];
  client.on('request.retrying', (e) => waits.push(`${e.reason} → wait ${(e.delayMs / 1000).toFixed(2)} s`));

  rt.sim.configure({ openai: { script: ['503', '429', 'reset', 'ok'] } });
  const start = rt.elapsed();
  const reply = await client.chat('gpt-4o-mini', 'please retry', { max_tokens: 16 });
  rt.log(`answered "${reply.text}" after ${reply.attempts} attempts, ${(rt.elapsed() - start).toFixed(2)} s`);
  for (const w of waits) rt.log(`  ${w}`);
  rt.check(reply.attempts === 4, '4 attempts: three transient failures, then the answer');

  // Each wait is at most initial_retry_delay × backoff_factor^(n−1), capped at max_retry_delay
  // (with "full jitter": a random part of it); a provider's own retry-after wins (the 429's 1 s).
  const details = client.generate_report(true).details!;
  rt.log('backoff_delays (s):', JSON.stringify(details.backoff_delays));
  rt.check(details.backoff_delays.count >= 2 && details.backoff_delays.max <= 16, 'the waits slept, in seconds, under max_retry_delay');

  client.max_retries = 2; // takes effect for the next request
  rt.sim.configure({ openai: { script: ['503', '503', '503', '503'] } });
  const failed = await client.chat('gpt-4o-mini', 'give up').catch((e) => e);
  rt.log(`with max_retries = 2: ${failed.code} after ${failed.attempts} attempts (${failed.message})`);
  rt.check(failed.code === 'SB_RETRIES_EXHAUSTED' && failed.attempts === 3, 'max_retries = 2 → 3 attempts, then SB_RETRIES_EXHAUSTED');

  try {
    client.max_retries = -1;
  } catch (error) {
    rt.log(`client.max_retries = -1 → ${(error as { code: string }).code}: ${(error as Error).message}`);
  }
  rt.check(client.max_retries === 2, 'an invalid value to change nothing');

  await client.stop();
  rt.ok(`recovered after ${reply.attempts} attempts; max_retries = 2 gave up after 3`);
}

runIfMain(import.meta.url, example);
