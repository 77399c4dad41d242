/**
 * Keys from the environment on the core API: with no `keys` option, `createSupervisor` reads the
 * provider's variables (and `.env` in the working directory); `loadKeys` shows what it finds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSupervisor, loadKeys } from 'switchboard';
import { runIfMain, withEnv, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const exported = {
    OPENAI_API_KEY: 'your-primary-key',
    OPENAI_API_KEY_1: 'your-secondary-key-1',
    OPENAI_API_KEY_2: 'your-secondary-key-2',
    GOOGLE_API_KEY: 'your-google-key',
    GEMINI_API_KEY_1: 'your-gemini-key-1',
    OPENAI_BASE_URL: rt.sim.urls.openai,
  };
  await withEnv(exported, async () => {
    rt.log('openai keys:', loadKeys('openai').map((k) => k.name).join(', '));
    rt.log('gemini keys:', loadKeys('gemini').map((k) => k.name).join(', '));
    const board = createSupervisor({ provider: 'openai', ...rt.core });
    const served: string[] = [];
    for (let i = 0; i < 3; i++) served.push((await board.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] })).keyName);
    rt.log('served by:', served.join(', '));
    rt.check(served.join() === 'OPENAI_API_KEY,OPENAI_API_KEY_1,OPENAI_API_KEY_2', 'the three keys in numeric order, round-robin');
    await board.stop();
  });

  const project = await mkdtemp(join(tmpdir(), 'switchboard-core-dotenv-'));
  const cwd = process.cwd();
  try {
    await writeFile(join(project, '.env'), `ANTHROPIC_API_KEY=your-anthropic-key\nCLAUDE_API_KEY_1=your-claude-key\nANTHROPIC_BASE_URL=${rt.sim.urls.anthropic}\n`);
    await withEnv({}, async () => {
      process.chdir(project);
      const board = createSupervisor({ provider: 'anthropic', ...rt.core });
      process.chdir(cwd);
      const names = board.state().keys.map((k) => k.name);
      rt.log('anthropic keys from .env:', names.join(', '));
      rt.check(names.join() === 'ANTHROPIC_API_KEY,CLAUDE_API_KEY_1', 'ANTHROPIC_API_KEY then CLAUDE_API_KEY_1');
      const reply = await board.chat({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hello' }] });
      rt.check(reply.text === 'echo: hello', 'the .env endpoint (the simulator) to answer');
      await board.stop();
    });
  } finally {
    process.chdir(cwd);
    await rm(project, { recursive: true, force: true });
  }
  rt.ok('keys and endpoints found in the environment and in .env, shown by name only');
}

runIfMain(import.meta.url, example);
