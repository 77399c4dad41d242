/** The priority-queue scenario on the core API: `createSupervisor`, priorities by name, ms. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'openai',
    baseUrl: rt.sim.urls.openai,
    keys: [{ name: 'main', secret: 'your-key' }],
    queue: { size: 100, maxConcurrent: 5 },
    ...rt.core,
  });
  const ask = (content: string, priority: 'high' | 'normal' | 'low') =>
    board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], maxTokens: 16 }, { priority, requestId: content });

  await ask('warm-up', 'normal'); // the first answer tells the key's budget

  const order: string[] = [];
  board.on('request.dispatched', (e) => order.push(e.requestId));
  const queued: string[] = [];
  board.on('request.queued', (e) => queued.push(`${e.requestId}@${e.depth}`));
  const all = [
    ...Array.from({ length: 8 }, (_, i) => ask(`low-${i + 1}`, 'low')),
    ask('normal-1', 'normal'),
    ask('high-1', 'high'),
    ask('high-2', 'high'),
  ];
  const state = board.state();
  rt.log(`in flight ${state.inFlight}/${state.maxConcurrent}, waiting ${JSON.stringify(state.queue.byPriority)}`);
  await Promise.all(all);
  rt.log('dispatch order:', order.join(' → '));
  rt.check(order.slice(5, 8).join() === 'high-1,high-2,normal-1', 'high, then normal, ahead of the waiting low requests');

  const report = board.report();
  rt.log('byPriority:', JSON.stringify(report.byPriority));
  rt.check(report.byPriority.high.requests === 2 && report.byPriority.low.requests === 8, 'requests counted per priority');

  await board.stop();
  rt.ok(`${queued.length} requests queued; high and normal overtook the waiting low ones`);
}

runIfMain(import.meta.url, example);
