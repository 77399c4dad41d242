/**
 * Guide: "Environment Variables Configuration". With no key in `metadata`, each client takes its
 * provider's keys from the environment — every numbered one, in order — and spreads requests over
 * them. Only the variable names are ever shown. (The endpoints come from the environment too.)
 */
import { claude, gemini, groq, openai_api } from 'switchboard/compat';
import { runIfMain, withEnv, type Runtime } from '../support/runtime.js';

export default async function example(rt: Runtime): Promise<void> {
  const exported = {
    // OpenAI API keys
    OPENAI_API_KEY: 'your-primary-key',
    OPENAI_API_KEY_1: 'your-secondary-key-1',
    OPENAI_API_KEY_2: 'your-secondary-key-2',
    // Claude API keys
    ANTHROPIC_API_KEY: 'your-anthropic-primary-key',
    ANTHROPIC_API_KEY_1: 'your-anthropic-secondary-key-1',
    // Groq API keys
    GROQ_API_KEY: 'your-groq-primary-key',
    GROQ_API_KEY_1: 'your-groq-secondary-key-1',
    // Gemini API keys
    GOOGLE_API_KEY: 'your-google-primary-key',
    GOOGLE_API_KEY_1: 'your-google-secondary-key-1',
    // Endpoints, as the official SDKs read them: here, the simulator
    OPENAI_BASE_URL: rt.sim.urls.openai,
    ANTHROPIC_BASE_URL: rt.sim.urls.anthropic,
    GROQ_BASE_URL: rt.sim.urls.groq,
    GEMINI_BASE_URL: rt.sim.urls.gemini,
  };

  await withEnv(exported, async () => {
    const clients = [
      { client: openai_api({ resources: {}, metadata: {} }, rt.compat), model: 'gpt-4o-mini' },
      { client: claude({ resources: {}, metadata: {} }, rt.compat), model: 'claude-3-5-haiku-latest' },
      { client: groq({ resources: {}, metadata: {} }, rt.compat), model: 'llama-3.1-8b-instant' },
      { client: gemini({ resources: {}, metadata: {} }, rt.compat), model: 'gemini-2.0-flash' },
    ];
    for (const { client, model } of clients) {
      const names = client.state().keys.map((k) => k.name);
      const servedBy: string[] = [];
      for (let i = 0; i < names.length; i++) servedBy.push((await client.chat(model, `hello ${i}`)).key_name);
      rt.log(`${client.provider.padEnd(9)} keys ${names.join(', ')} → requests served by ${servedBy.join(', ')}`);
      rt.check(new Set(servedBy).size === names.length, `${client.provider}: each key from the environment used`);
      await client.stop();
    }
    rt.check(clients[0]!.client.toJSON().keys!.toString() === 'OPENAI_API_KEY,OPENAI_API_KEY_1,OPENAI_API_KEY_2', 'the three OpenAI keys, in order');
    const shown = JSON.stringify(clients.map((c) => c.client));
    rt.check(!shown.includes('your-'), 'no key value in what the clients show');
  });

  rt.ok('9 keys found in the environment, by name, and every one used');
}

runIfMain(import.meta.url, example);
