/**
 * Guide: "Advanced Configuration Example". Every setting at once, then a mixed workload — chats
 * at three priorities, a burst of embeddings, a short provider outage — and the detailed report.
 */
import { openai_api } from 'switchboard/compat';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  // Create client with comprehensive configuration
  const client = openai_api(
    {
      resources: {},
      metadata: {
        openai_api_key: 'your-api-key',
        base_url: rt.sim.urls.openai,
      },
    },
    rt.compat,
  );

  // Priority queue settings
  client.PRIORITY_HIGH = 0;
  client.PRIORITY_NORMAL = 1;
  client.PRIORITY_LOW = 2;
  client.queue_size = 200;
  client.max_concurrent_requests = 10;

  // Circuit breaker settings
  client.circuit_state = 'CLOSED';
  client.failure_threshold = 8;
  client.reset_timeout = 60;

  // Retry and backoff settings
  client.max_retries = 5;
  client.initial_retry_delay = 1;
  client.backoff_factor = 2;
  client.max_retry_delay = 32;

  // Batching settings
  client.batching_enabled = true;
  client.max_batch_size = 16;
  client.batch_timeout = 0.2;
  client.embedding_models = ['text-embedding-ada-002', 'text-embedding-3-small'];
  client.supported_batch_models = client.embedding_models;

  // Monitoring settings
  client.collect_metrics = true;

  rt.log('configured:', JSON.stringify(client));
  await client.chat('gpt-4o-mini', 'warm up');
  client.reset_stats();

  // A workload: 30 chats at three priorities and 40 embeddings, while the provider fails 4 times.
  rt.sim.configure({ openai: { script: ['ok', '503', 'ok', '503', '500', 'ok', '503'] } });
  const priorities = [client.PRIORITY_HIGH, client.PRIORITY_NORMAL, client.PRIORITY_LOW];
  const chats = Array.from({ length: 30 }, (_, i) =>
    client.chat('gpt-4o-mini', `chat ${i}`, { priority: priorities[i % 3], max_tokens: 32 }),
  );
  const embeddings = Array.from({ length: 40 }, (_, i) =>
    client.embedding('text-embedding-3-small', `passage ${i}`, { priority: client.PRIORITY_LOW }),
  );
  const settled = await Promise.allSettled([...chats, ...embeddings]);
  const failed = settled.filter((s) => s.status === 'rejected').length;
  rt.log(`70 requests settled by t=${rt.elapsed()}s: ${70 - failed} answered, ${failed} failed`);

  const report = client.generate_report({ include_details: true });
  rt.log(JSON.stringify(report, null, 2));
  rt.check(failed === 0, 'the transient failures to be retried away');
  rt.check(report.summary.total_requests === 70 && report.summary.success_rate === 100, '70 requests, all answered');
  rt.check(report.summary.retry_rate > 0 && report.details!.backoff_delays.count > 0, 'retries and their waits in the report');
  rt.check(report.circuit_breaker.state === 'CLOSED' && report.circuit_breaker.failure_threshold === 8, 'the breaker closed, threshold 8');
  rt.check(rt.sim.stats().providers.openai.requests < 70, 'fewer HTTP calls than requests (embeddings batched)');

  await client.stop();
  rt.ok(`70 requests, ${report.summary.retry_rate}% retried, ${rt.sim.stats().providers.openai.requests} HTTP calls`);
}

runIfMain(import.meta.url, example);
