/** The monitoring scenario on the core API: the full report (camelCase, ms) and Prometheus text. */
import { createSupervisor } from 'switchboard';
import { runIfMain, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const board = createSupervisor({
    provider: 'groq',
    baseUrl: rt.sim.urls.groq,
    keys: [{ name: 'main', secret: 'your-key' }],
    metrics: { enabled: true },
    ...rt.core,
  });
  await board.chat({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'before reset' }] });
  board.resetStats();

  rt.sim.configure({ groq: { script: ['ok', '503', 'ok', 'ok', '400', 'ok', 'ok', '400'] } });
  for (let i = 0; i < 7; i++) {
    await board.chat({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: `q${i}` }] }).catch(() => {});
  }
  const report = board.report({ includeDetails: true });
  rt.log('summary:', JSON.stringify(report.summary));
  rt.log('errors:', JSON.stringify(report.errors), 'keys:', JSON.stringify(report.keys));
  rt.log('details.backoffDelaysMs:', JSON.stringify(report.details!.backoffDelaysMs));
  rt.check(report.summary.totalRequests === 7 && report.summary.successRate === 71.43, '7 requests, 71.43 % success');
  rt.check(report.summary.attempts === 8 && report.summary.retries === 1, '8 attempts: one retry');
  rt.check(report.keys.main!.attempts === 8, 'keys count attempts');

  const text = await board.metricsText();
  const lines = text.split('\n').filter((l) => l.startsWith('switchboard_') && l.includes('requests')).slice(0, 4);
  rt.log('Prometheus:', lines.join(' | '));
  rt.check(text.includes('switchboard_'), 'Prometheus text');

  await board.stop();
  rt.ok(`report: ${report.summary.totalRequests} requests, ${report.summary.retryRate}% retried, errors ${JSON.stringify(report.errors)}`);
}

runIfMain(import.meta.url, example);
