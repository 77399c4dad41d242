/** Key multiplexing on the core API: several keys on one supervisor, `strategy.set`, `key.add`, 429 failover. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'openai',
    baseUrl: rt.sim.urls.openai,
    keys: [
      { name: 'key1', secret: 'sk-api-key-1', maxConcurrent: 5 },
      { name: 'key2', secret: 'sk-api-key-2', maxConcurrent: 5 },
      { name: 'key3', secret: 'sk-api-key-3', maxConcurrent: 5 },
    ],
    strategy: 'round-robin',
    queue: { maxConcurrent: 15 },
    ...rt.core,
  });
  const chat = (content: string) => board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
  const attempts = () => Object.fromEntries(Object.entries(board.report().keys).map(([k, v]) => [k, v.attempts]));

  for (let i = 0; i < 9; i++) await chat(`rr ${i}`);
  rt.log('round-robin:', JSON.stringify(attempts()));
  rt.check(Object.values(attempts()).every((n) => n === 3), '3 attempts per key');

  board.send({ type: 'strategy.set', strategy: 'least-loaded' });
  const peak: Record<string, number> = {};
  board.on('request.dispatched', () => {
    for (const k of board.state().keys) peak[k.name] = Math.max(peak[k.name] ?? 0, k.inFlight);
  });
  await Promise.all(Array.from({ length: 12 }, (_, i) => chat(`ll ${i}`)));
  rt.log('least-loaded, 12 at once — most in flight per key:', JSON.stringify(peak));
  rt.check(Object.values(peak).every((n) => n === 4), '4 in flight on each key');

  // A 429 on one key cools it; the request moves at once to another key.
  rt.sim.configure({ keys: { 'sk-api-key-1': { script: ['429'] } } });
  board.send({ type: 'strategy.set', strategy: 'round-robin' });
  const served: string[] = [];
  for (let i = 0; i < 3; i++) served.push((await chat(`after 429 ${i}`)).keyName);
  rt.log('with a 429 on key1:', served.join(', '), '| key1 now', board.state().keys[0]!.state);

  board.send({ type: 'key.add', key: { name: 'key4', secret: 'sk-api-key-4', maxConcurrent: 5 } });
  board.send({ type: 'key.remove', name: 'key2' });
  rt.log('keys now:', board.state().keys.map((k) => `${k.name} (${k.state})`).join(', '));
  rt.check(!JSON.stringify(board.state()).includes('sk-api-key'), 'no secret in the state');

  await board.stop();
  rt.ok('round-robin 3/3/3, least-loaded 4/4/4, 429 failover, keys added and removed live');
}

runIfMain(import.meta.url, example);
