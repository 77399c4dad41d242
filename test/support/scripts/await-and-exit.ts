/**
 * A plain script, as a user writes one: one embed at normal priority and one chat whose first
 * attempt gets a 503, both awaited, then nothing — no `stop()`. Node must stay alive while they are
 * pending (a retry backoff, a batch window) and exit by itself once they settled.
 */
import { createSupervisor } from '../../../src/index.js';

const board = createSupervisor({
  provider: 'openai',
  baseUrl: process.env.SIM_URL!,
  keys: [{ name: 'main', secret: 'sk-script-0000000001' }],
  // One slot: while the chat backs off holding it, the embed waits in a real batch window.
  queue: { maxConcurrent: 1 },
  retry: { initialDelayMs: 300, jitter: 'none' },
  batching: { batchTimeoutMs: 300 },
});

const chat = board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const embed = board.embed({ model: 'text-embedding-3-small', input: 'hello' });
const reply = await chat;
console.log(`chat ok attempts=${reply.attempts}`);
const vectors = await embed;
console.log(`embed ok dims=${vectors.embeddings[0]!.length}`);
