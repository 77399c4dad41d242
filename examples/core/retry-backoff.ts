/** Retries on the core API: exact exponential waits (`jitter: 'none'`), the provider's retry-after, a live `config.update`. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'openai',
    baseUrl: rt.sim.urls.openai,
    keys: [{ name: 'main', secret: 'your-key' }],
    retry: { maxRetries: 5, initialDelayMs: 1_000, backoffFactor: 2, maxDelayMs: 16_000, jitter: 'none' },
    circuitBreaker: { failureThreshold: 10 },
    ...rt.core,
  });
  const waits: number[] = [];
  board.on('request.retrying', (e) => waits.push(e.delayMs));
  const chat = () => board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'retry me' }] });

  rt.sim.configure({ openai: { script: ['503', '500', '502', '504', 'ok'] } });
  const start = rt.elapsed();
  const reply = await chat();
  rt.log(`answered after ${reply.attempts} attempts, waits ${waits.join(', ')} ms, ${rt.elapsed() - start} s in all`);
  rt.check(waits.join() === '1000,2000,4000,8000', 'waits of 1, 2, 4, 8 s');

  waits.length = 0;
  rt.sim.configure({ openai: { script: [{ status: 503, retryAfterMs: 3_000 }, 'ok'] } });
  await chat();
  rt.log(`a 503 with retry-after 3 s → waited ${waits.join()} ms (the provider's wait wins)`);
  rt.check(waits[0] === 3000, "the provider's retry-after to win");

  board.send({ type: 'config.update', config: { retry: { maxRetries: 1 } } });
  rt.sim.configure({ openai: { script: ['503', '503', '503'] } });
  const failed = await chat().catch((e) => e);
  rt.log(`after config.update maxRetries 1: ${failed.code}, attempts ${failed.attempts}, last status ${failed.status}`);
  rt.check(failed.code === 'SB_RETRIES_EXHAUSTED' && failed.attempts === 2, 'two attempts then SB_RETRIES_EXHAUSTED');

  rt.log('backoffDelaysMs:', JSON.stringify(board.report({ includeDetails: true }).details!.backoffDelaysMs));
  await board.stop();
  rt.ok('exponential waits 1-2-4-8 s, retry-after honoured, maxRetries changed live');
}

runIfMain(import.meta.url, example);
