/**
 * Guide: the `.env` file. Keys in a `.env` in the working directory are found the same way as
 * exported variables (exported ones win); the library reads the file without changing
 * `process.env` and without printing anything.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claude, groq, openai_api } from 'switchboard/compat';
import { runIfMain, withEnv, type Runtime } from '../support/runtime.js';

const DOTENV = `OPENAI_API_KEY=your-primary-key
OPENAI_API_KEY_1=your-secondary-key-1
OPENAI_API_KEY_2=your-secondary-key-2
ANTHROPIC_API_KEY=your-anthropic-key
GROQ_API_KEY=your-groq-key
`;

export default async function example(rt: Runtime): Promise<void> {
  const project = await mkdtemp(join(tmpdir(), 'switchboard-dotenv-'));
  const cwd = process.cwd();
  await writeFile(join(project, '.env'), DOTENV);
  try {
    // A real variable wins over the file: this GROQ key replaces the .env one.
    await withEnv({ GROQ_API_KEY: 'exported-groq-key' }, async () => {
      process.chdir(project);
      const openai = openai_api({ resources: {}, metadata: { base_url: rt.sim.urls.openai } }, rt.compat);
      const anthropic = claude({ resources: {}, metadata: { base_url: rt.sim.urls.anthropic } }, rt.compat);
      const groqClient = groq({ resources: {}, metadata: { base_url: rt.sim.urls.groq } }, rt.compat);
      process.chdir(cwd);

      const names = (c: typeof openai) => c.state().keys.map((k) => k.name);
      rt.log('.env in', project);
      rt.log('openai keys:', names(openai).join(', '));
      rt.log('anthropic keys:', names(anthropic).join(', '));
      rt.check(names(openai).join() === 'OPENAI_API_KEY,OPENAI_API_KEY_1,OPENAI_API_KEY_2', 'three OpenAI keys from .env');
      rt.check(!('OPENAI_API_KEY' in process.env), 'process.env left unchanged');

      for (let i = 0; i < 3; i++) await openai.chat('gpt-4o-mini', `hello ${i}`);
      await anthropic.chat('claude-3-5-haiku-latest', 'hello');
      await groqClient.chat('llama-3.1-8b-instant', 'hello');
      const received = rt.sim.stats().keys;
      rt.check(received['your-secondary-key-2']?.requests === 1, 'the .env keys to reach the provider');
      rt.check(received['exported-groq-key']?.requests === 1 && !received['your-groq-key'], 'the exported GROQ_API_KEY to win over .env');
      rt.log('groq used the exported key, not the one in .env');
      await Promise.all([openai.stop(), anthropic.stop(), groqClient.stop()]);
    });
  } finally {
    process.chdir(cwd);
    await rm(project, { recursive: true, force: true });
  }
  rt.ok('keys read from .env by name; exported variables win; process.env untouched');
}

runIfMain(import.meta.url, example);
