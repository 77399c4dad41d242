/**
 * Guide: "Request Batching Configuration". Sixteen embedding requests made at once take three
 * HTTP calls: the first goes at once (nothing to batch with yet), the others collect while it is in
 * flight (10 at `max_batch_size`, then 5 when the calls in flight came back, at the latest after
 * `batch_timeout`); each caller still gets its own vector.
 */
import { openai_api } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create client
  const client = openai_api({ resources: {}, metadata: { openai_api_key: 'your-key', base_url: rt.sim.urls.openai } }, rt.compat);

  // Batching settings
  client.batching_enabled = true; // Enable/disable batching
  client.max_batch_size = 10; // Maximum items per batch
  client.batch_timeout = 0.5; // Maximum wait time (seconds)

  // Configure supported models
  client.embedding_models = ['text-embedding-ada-002', 'text-embedding-3-small'];
  client.completion_models = []; // Models supporting batched completions
  client.supported_batch_models = client.embedding_models.concat(client.completion_models); // Python's `+`
  rt.log('supported_batch_models:', client.supported_batch_models);

  const texts = Array.from({ length: 16 }, (_, i) => `document ${i + 1}`);
  const before = rt.sim.stats().requests;
  const results = await Promise.all(texts.map((text) => client.embedding('text-embedding-3-small', text)));
  const calls = rt.sim.stats().requests - before;
  rt.log(`${texts.length} embedding requests → ${calls} HTTP calls, finished at t=${rt.elapsed()}s`);
  rt.check(calls === 3, '16 inputs in 3 calls (1 at once, then 10 at max_batch_size and 5 collected meanwhile)');
  rt.check(results.every((r, i) => r.batched === i > 0 && r.embedding.length > 0), 'every caller after the first to get a vector from a shared call');

  // Each caller got the vector of its own text: the same text alone gives the same vector.
  client.batching_enabled = false;
  const alone = await client.embedding('text-embedding-3-small', texts[7]!);
  rt.check(JSON.stringify(alone.embedding) === JSON.stringify(results[7]!.embedding), 'results in each caller\'s own order');
  rt.check(!alone.batched, 'no batching once batching_enabled is false');

  // A model outside supported_batch_models is sent on its own.
  client.batching_enabled = true;
  const before3 = rt.sim.stats().requests;
  await Promise.all(['x', 'y', 'z'].map((t) => client.embedding('text-embedding-3-large', t)));
  rt.check(rt.sim.stats().requests - before3 === 3, 'text-embedding-3-large (not listed) to take 3 calls');

  await client.stop();
  rt.ok(`16 embeddings in ${calls} HTTP calls; unlisted models and batching_enabled = false go one by one`);
}

runIfMain(import.meta.url, example);
