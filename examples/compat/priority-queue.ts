/**
 * Guide: "Priority Queue Configuration". Five requests fill the concurrency limit; the queue then
 * lets the HIGH ones overtake the background ones that were waiting before them.
 */
import { openai_api } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create client
  const client = openai_api({ resources: {}, metadata: { openai_api_key: 'your-key', base_url: rt.sim.urls.openai } }, rt.compat);

  // Priority levels (lower number = higher priority)
  client.PRIORITY_HIGH = 0; // Critical requests
  client.PRIORITY_NORMAL = 1; // Standard requests
  client.PRIORITY_LOW = 2; // Background tasks

  // Queue settings
  client.queue_size = 100; // Maximum queue capacity
  client.max_concurrent_requests = 5; // Concurrency limit

  // The first answer tells Switchboard the key's rate budget; until then it sends one request at a time.
  await client.chat('gpt-4o-mini', [{ role: 'user', content: 'warm up' }]);

  const order: string[] = [];
  client.on('request.dispatched', (e) => order.push(e.requestId));
  const ask = (id: string, priority: number) =>
    client.chat('gpt-4o-mini', [{ role: 'user', content: id }], { priority, request_id: id, max_tokens: 16 });

  const background = Array.from({ length: 8 }, (_, i) => ask(`low-${i + 1}`, client.PRIORITY_LOW));
  const normal = ask('normal-1', client.PRIORITY_NORMAL);
  const critical = [ask('high-1', client.PRIORITY_HIGH), ask('high-2', client.PRIORITY_HIGH)];
  rt.log(`in flight ${client.get_stats().in_flight}, waiting ${client.get_stats().queue_size}`);
  const replies = await Promise.all([...background, normal, ...critical]);

  rt.log('dispatch order:', order.join(' → '));
  rt.check(replies.every((r) => r.text.startsWith('echo: ')), 'every request answered');
  rt.check(order.slice(0, 5).every((id) => id.startsWith('low-')), 'the first five background requests to take the five slots');
  rt.check(order[5] === 'high-1' && order[6] === 'high-2' && order[7] === 'normal-1', 'HIGH, then NORMAL, to overtake the waiting LOW requests');

  const full = openai_api({ metadata: { openai_api_key: 'your-key', base_url: rt.sim.urls.openai } }, rt.compat);
  full.max_concurrent_requests = 1;
  full.queue_size = 1;
  await full.chat('gpt-4o-mini', 'warm up');
  const outcomes = await Promise.allSettled([full.chat('gpt-4o-mini', 'a'), full.chat('gpt-4o-mini', 'b'), full.chat('gpt-4o-mini', 'c')]);
  const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code);
  rt.log(`queue_size = 1 with one slot: 3 requests → ${refused.join(', ')}`);
  rt.check(refused.length === 1 && refused[0] === 'SB_QUEUE_FULL', 'the third request to be refused SB_QUEUE_FULL');

  await client.stop();
  await full.stop();
  rt.ok('HIGH requests overtook 3 waiting background requests; a full queue refuses at once');
}

runIfMain(import.meta.url, example);
