/** The combined scenario on the core API: every option at once, a mixed workload, the detailed report. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'openai',
    baseUrl: rt.sim.urls.openai,
    keys: [
      { name: 'primary', secret: 'your-api-key' },
      { name: 'secondary', secret: 'your-second-key' },
    ],
    strategy: 'least-loaded',
    queue: { size: 200, maxConcurrent: 10, agingMs: 10_000 },
    circuitBreaker: { failureThreshold: 8, resetTimeoutMs: 60_000, halfOpenProbes: 1 },
    retry: { maxRetries: 5, initialDelayMs: 1_000, backoffFactor: 2, maxDelayMs: 32_000, jitter: 'full' },
    batching: { enabled: true, maxBatchSize: 16, batchTimeoutMs: 200, models: ['text-embedding-ada-002', 'text-embedding-3-small'] },
    metrics: { enabled: true },
    timeoutMs: 60_000,
    ...rt.core,
  });
  await Promise.all([1, 2].map((i) => board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `warm ${i}` }] })));
  board.resetStats();

  rt.sim.configure({ openai: { script: ['ok', '503', 'ok', '503', '500', 'ok', '429', 'ok'] } });
  const priorities = ['high', 'normal', 'low'] as const;
  const chats = Array.from({ length: 30 }, (_, i) =>
    board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `chat ${i}` }], maxTokens: 32 }, { priority: priorities[i % 3] }),
  );
  const embeds = Array.from({ length: 40 }, (_, i) => board.embed({ model: 'text-embedding-3-small', input: `passage ${i}` }, { priority: 'low' }));
  const settled = await Promise.allSettled([...chats, ...embeds]);
  rt.check(settled.every((s) => s.status === 'fulfilled'), 'every request answered despite the failures');

  const report = board.report({ includeDetails: true });
  const { recent, ...details } = report.details!;
  rt.log(JSON.stringify({ ...report, details: { ...details, recent: `${recent.length} entries` } }, null, 2));
  rt.check(report.summary.totalRequests === 70 && report.summary.retries > 0, '70 requests with retries');
  rt.check(report.batching.httpCallsSaved > 30, 'embeddings batched');
  rt.check(report.keys.primary!.attempts > 0 && report.keys.secondary!.attempts > 0, 'both keys used');

  await board.stop({ drain: true, timeoutMs: 5_000 });
  rt.ok(`70 requests in ${report.summary.attempts} attempts; ${report.batching.httpCallsSaved} HTTP calls saved by batching`);
}

runIfMain(import.meta.url, example);
