import { describe, expect, it } from 'vitest';
import { runSimulatorCommand } from '../../src/sim/cli.js';

/** A provider's JSON answer, loosely typed for assertions. */
const json = (r: Response): Promise<any> => r.json();

describe('switchboard sim', () => {
  it('prints the base URLs, answers on them, and stops on SIGTERM', async () => {
    const lines: string[] = [];
    const listenersBefore = process.listenerCount('SIGTERM');
    const { simulator, closed } = await runSimulatorCommand({ seed: 5, out: (l) => lines.push(l) });
    expect(lines[0]).toContain(`listening on ${simulator.url}`);
    expect(lines.join('\n')).toContain(simulator.urls.openai);
    expect(lines.join('\n')).toContain(simulator.urls.gemini);
    const r = await fetch(`${simulator.urls.openai}/chat/completions`, {
      method: 'POST', headers: { authorization: 'Bearer sk-cli' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] }),
    });
    expect((await json(r)).choices[0].message.content).toBe('echo: ping');
    process.emit('SIGTERM');
    await closed;
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
    await expect(fetch(`${simulator.urls.openai}/models`)).rejects.toThrow();
  });
});
