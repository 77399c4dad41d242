import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Board } from '../../src/index.js';

const completion = JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

let server: Server;
let board: Board | null = null;
const sockets = new Set<Socket>();

afterEach(async () => {
  await board?.stop();
  board = null;
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("a board's own transport", () => {
  it('opens no more connections than queue.maxConcurrent, and more once config.update raises it', async () => {
    let opened = 0;
    let hold: Array<() => void> | null = null;
    let holdFor = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(completion);
        if (hold === null) return answer();
        hold.push(answer);
        if (hold.length === holdFor) for (const a of hold.splice(0)) a();
      });
    });
    server.on('connection', (s) => {
      opened++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    board = createSupervisor({ provider: 'openai', baseUrl, keys: [{ name: 'k1', secret: 'sk-test-connections' }], queue: { size: 100, maxConcurrent: 2 } });
    const chat = () => board!.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    // A closed loop of 2 for 40 requests: at most 2 sockets.
    await Promise.all([0, 1].map(async () => {
      for (let i = 0; i < 20; i++) expect((await chat()).text).toBe('ok');
    }));
    expect(opened).toBeLessThanOrEqual(2);
    // Four held until all four are in: only a pool of four or more gets them there.
    board.send({ type: 'config.update', config: { queue: { maxConcurrent: 4 } } });
    hold = [];
    holdFor = 4;
    const replies = await Promise.all([chat(), chat(), chat(), chat()]);
    expect(replies.map((r) => r.text)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
