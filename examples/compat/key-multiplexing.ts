/**
 * Guide: "API Key Multiplexing Configuration". Three keys behind one client: round-robin takes
 * them in turn, least-loaded sends each request to the key with the least in flight — for every
 * provider (the seed's least-loaded crashed for three of the four).
 */
import { ApiKeyMultiplexer } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create multiplexer (pointed at the simulator; by default each provider's public endpoint)
  const multiplexer = new ApiKeyMultiplexer({ ...rt.compat, base_urls: rt.sim.urls });

  // Add multiple API keys
  multiplexer.add_openai_key('key1', 'sk-api-key-1', { max_concurrent: 5 });
  multiplexer.add_openai_key('key2', 'sk-api-key-2', { max_concurrent: 5 });
  multiplexer.add_openai_key('key3', 'sk-api-key-3', { max_concurrent: 5 });

  // Get client with different strategies
  const client_rr = multiplexer.get_openai_client({ strategy: 'round-robin' });
  const client_ll = multiplexer.get_openai_client({ strategy: 'least-loaded' });

  for (let i = 0; i < 9; i++) await client_rr.chat('gpt-4o-mini', `round-robin ${i}`);
  const rr = client_rr.get_key_stats();
  rt.log('round-robin, 9 requests one after another:', Object.entries(rr).map(([k, s]) => `${k}=${s.usage}`).join(' '));
  rt.check(rr.key1!.usage === 3 && rr.key2!.usage === 3 && rr.key3!.usage === 3, 'round-robin to spread 3/3/3');

  // Least-loaded: 3 at once first (each key's first answer tells its budget), then 12 at once.
  await Promise.all([1, 2, 3].map((i) => client_ll.chat('gpt-4o-mini', `warm ${i}`)));
  const peak: Record<string, number> = {};
  client_ll.on('request.dispatched', () => {
    for (const [k, s] of Object.entries(client_ll.get_key_stats())) peak[k] = Math.max(peak[k] ?? 0, s.in_flight);
  });
  await Promise.all(Array.from({ length: 12 }, (_, i) => client_ll.chat('gpt-4o-mini', `least-loaded ${i}`)));
  rt.log('least-loaded, 12 at once — most in flight per key:', JSON.stringify(peak));
  rt.check(Object.values(peak).length === 3 && Object.values(peak).every((n) => n === 4), 'least-loaded to hold 4/4/4 in flight');

  // A key added later reaches the clients already made.
  multiplexer.add_openai_key('key4', 'sk-api-key-4', { max_concurrent: 5 });
  for (let i = 0; i < 4; i++) await client_rr.chat('gpt-4o-mini', `after key4 ${i}`);
  rt.check(client_rr.get_key_stats().key4!.usage === 1, 'key4 to be used by the round-robin client');

  // Least-loaded on the other three providers.
  const others = [
    { add: 'add_claude_key', get: 'get_claude_client', model: 'claude-3-5-haiku-latest' },
    { add: 'add_groq_key', get: 'get_groq_client', model: 'llama-3.1-8b-instant' },
    { add: 'add_gemini_key', get: 'get_gemini_client', model: 'gemini-2.0-flash' },
  ] as const;
  for (const { add, get, model } of others) {
    multiplexer[add]('a', `${add}-secret-a`);
    multiplexer[add]({ name: 'b', key: `${add}-secret-b`, max_concurrent: 5 }); // the keyword style, as one object
    const ll = multiplexer[get]({ strategy: 'least-loaded' });
    await Promise.all([1, 2].map((i) => ll.chat(model, `warm ${i}`)));
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => ll.chat(model, `q${i}`)));
    rt.check(replies.length === 6 && ll.get_key_stats().b!.usage > 0, `least-loaded to work for ${ll.provider}`);
  }

  const usage = multiplexer.get_usage_stats();
  rt.log('get_usage_stats():');
  for (const [provider, keys] of Object.entries(usage)) {
    rt.log(`  ${provider.padEnd(9)} ${Object.entries(keys).map(([k, s]) => `${k}: usage ${s.usage}, in flight ${s.in_flight}, ${s.state}`).join(' | ')}`);
  }
  rt.check(!JSON.stringify(usage).includes('sk-api-key'), 'no key value in the usage stats');

  await multiplexer.stop();
  rt.ok('round-robin 3/3/3; least-loaded 4/4/4 in flight; least-loaded works for openai, anthropic, groq, gemini');
}

runIfMain(import.meta.url, example);
