/**
 * Guide: "Monitoring and Reporting Configuration". A mixed run — clean answers, a request that
 * needed a retry, two the provider refused — and the report the seed's code expects.
 */
import { openai_api } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create client
  const client = openai_api({ resources: {}, metadata: { openai_api_key: 'your-key', base_url: rt.sim.urls.openai } }, rt.compat);

  // Enable/disable metrics collection
  client.collect_metrics = true;

  await client.chat('gpt-4o-mini', 'not counted: before reset_stats()');

  // Reset statistics
  client.reset_stats();

  // What the provider will answer, one step per request: two refusals (400) and one 503 that is retried.
  rt.sim.configure({ openai: { script: ['ok', '503', 'ok', 'ok', '400', 'ok', 'ok', '400'] } });
  const outcomes: string[] = [];
  for (let i = 0; i < 7; i++) {
    const model = i % 3 === 2 ? 'gpt-4o' : 'gpt-4o-mini';
    try {
      const r = await client.chat(model, `question ${i}`, { max_tokens: 32 });
      outcomes.push(r.attempts > 1 ? `ok after ${r.attempts} attempts` : 'ok');
    } catch (error) {
      outcomes.push((error as { code: string }).code);
    }
  }
  rt.log('outcomes:', outcomes.join(', '));

  // Generate a report
  const report = client.generate_report({ include_details: true });
  rt.log(JSON.stringify(report, null, 2));

  rt.check(report.summary.total_requests === 7, '7 requests counted (the one before reset_stats() is not)');
  rt.check(report.summary.success_rate === 71.43, 'success_rate 71.43 (5 of 7)');
  rt.check(report.errors['SB_PROVIDER'] === 2, 'each refused request counted once');
  rt.check(report.models['gpt-4o'] === 2 && report.models['gpt-4o-mini'] === 5, 'requests per model');
  rt.check(report.details!.backoff_delays.count === 1, 'one backoff wait, the one actually slept before the retry');

  client.collect_metrics = false;
  await client.chat('gpt-4o-mini', 'not counted: metrics off');
  // Switching metrics off drops the counters too: the report is empty until they are switched on again.
  rt.check(client.generate_report().summary.total_requests === 0, 'nothing counted while collect_metrics is false');

  await client.stop();
  rt.ok(`7 requests, ${report.summary.success_rate}% success, retry_rate ${report.summary.retry_rate}%, errors ${JSON.stringify(report.errors)}`);
}

runIfMain(import.meta.url, example);
