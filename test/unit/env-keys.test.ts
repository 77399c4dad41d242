import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadBaseUrl, loadKeys, readEnv } from '../../src/keys/index.js';
import type { Provider } from '../../src/types.js';

describe('loadKeys', () => {
  it.each<[string, Provider, Record<string, string>, Array<[string, string]>]>([
    ['openai: the bare name first, then numbered in numeric order', 'openai',
      { OPENAI_API_KEY_10: 'sk-j', OPENAI_API_KEY_2: 'sk-b', OPENAI_API_KEY: 'sk-a', OPENAI_API_KEY_1: 'sk-1' },
      [['OPENAI_API_KEY', 'sk-a'], ['OPENAI_API_KEY_1', 'sk-1'], ['OPENAI_API_KEY_2', 'sk-b'], ['OPENAI_API_KEY_10', 'sk-j']]],
    ['openai: numbered keys without the bare one', 'openai',
      { OPENAI_API_KEY_3: 'c', OPENAI_API_KEY_1: 'a' },
      [['OPENAI_API_KEY_1', 'a'], ['OPENAI_API_KEY_3', 'c']]],
    ['openai: names that only look alike are not keys', 'openai',
      { OPENAI_API_KEY_X: 'x', OPENAI_API_KEYS: 'y', OPENAI_API_KEY_1_OLD: 'z', MY_OPENAI_API_KEY: 'w', OPENAI_API_KEY_: 'v' },
      []],
    ['anthropic: ANTHROPIC family, then CLAUDE family', 'anthropic',
      { CLAUDE_API_KEY: 'c0', ANTHROPIC_API_KEY_2: 'a2', CLAUDE_API_KEY_1: 'c1', ANTHROPIC_API_KEY: 'a0' },
      [['ANTHROPIC_API_KEY', 'a0'], ['ANTHROPIC_API_KEY_2', 'a2'], ['CLAUDE_API_KEY', 'c0'], ['CLAUDE_API_KEY_1', 'c1']]],
    ['groq', 'groq',
      { GROQ_API_KEY_1: 'g1', GROQ_API_KEY: 'g0', OPENAI_API_KEY: 'o' },
      [['GROQ_API_KEY', 'g0'], ['GROQ_API_KEY_1', 'g1']]],
    ['gemini: GOOGLE family, then GEMINI family', 'gemini',
      { GEMINI_API_KEY: 'm0', GOOGLE_API_KEY_1: 'g1', GOOGLE_API_KEY: 'g0', GEMINI_API_KEY_2: 'm2' },
      [['GOOGLE_API_KEY', 'g0'], ['GOOGLE_API_KEY_1', 'g1'], ['GEMINI_API_KEY', 'm0'], ['GEMINI_API_KEY_2', 'm2']]],
    ['the same secret under two names is one key, named by the first', 'gemini',
      { GOOGLE_API_KEY: 'same', GEMINI_API_KEY: 'same', GEMINI_API_KEY_1: 'other', GOOGLE_API_KEY_1: 'other' },
      [['GOOGLE_API_KEY', 'same'], ['GOOGLE_API_KEY_1', 'other']]],
    ['empty and blank values are ignored', 'openai',
      { OPENAI_API_KEY: '', OPENAI_API_KEY_1: '   ', OPENAI_API_KEY_2: 'sk-b' },
      [['OPENAI_API_KEY_2', 'sk-b']]],
    ['values are trimmed, so a trailing space is the same secret', 'anthropic',
      { ANTHROPIC_API_KEY: ' k ', CLAUDE_API_KEY: 'k' },
      [['ANTHROPIC_API_KEY', 'k']]],
    ['nothing found', 'groq', {}, []],
  ])('%s', (_name, provider, env, expected) => {
    expect(loadKeys(provider, env).map((k) => [k.name, k.secret])).toEqual(expected);
  });
});

describe('loadBaseUrl', () => {
  it.each<[Provider, Record<string, string>, string | undefined]>([
    ['openai', { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }, 'http://127.0.0.1:1/v1'],
    ['anthropic', { ANTHROPIC_BASE_URL: 'http://proxy' }, 'http://proxy'],
    ['groq', { GROQ_BASE_URL: 'http://g' }, 'http://g'],
    ['gemini', { GEMINI_BASE_URL: 'http://a', GOOGLE_GEMINI_BASE_URL: 'http://b' }, 'http://a'],
    ['gemini', { GOOGLE_GEMINI_BASE_URL: 'http://b' }, 'http://b'],
    ['gemini', { GEMINI_BASE_URL: '', GOOGLE_GEMINI_BASE_URL: 'http://b' }, 'http://b'],
    ['openai', { ANTHROPIC_BASE_URL: 'http://other' }, undefined],
    ['openai', { OPENAI_BASE_URL: '  ' }, undefined],
  ])('%s from %j → %s', (provider, env, expected) => {
    expect(loadBaseUrl(provider, env)).toBe(expected);
  });
});

describe('reading the environment and .env', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-env-'));
    for (const k of Object.keys(process.env)) if (/_API_KEY|_BASE_URL/.test(k)) delete process.env[k];
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('reads .env from the current directory under the real variables, without changing process.env or printing', () => {
    writeFileSync(join(dir, '.env'), 'OPENAI_API_KEY=from-file\nOPENAI_API_KEY_1=file-1\n# comment\nGROQ_BASE_URL="http://file"\n');
    process.env.OPENAI_API_KEY = 'from-process';
    vi.spyOn(process, 'cwd').mockReturnValue(dir); // no chdir: it is refused in worker threads
    const log = vi.spyOn(console, 'log');
    const info = vi.spyOn(console, 'info');
    const before = { ...process.env };

    expect(loadKeys('openai')).toEqual([
      { name: 'OPENAI_API_KEY', secret: 'from-process' },
      { name: 'OPENAI_API_KEY_1', secret: 'file-1' },
    ]);
    expect(loadBaseUrl('groq')).toBe('http://file');
    expect(process.env).toEqual(before);
    expect(process.env.OPENAI_API_KEY_1).toBeUndefined();
    expect(log).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
  });

  it('works with no .env file', () => {
    vi.spyOn(process, 'cwd').mockReturnValue(dir); // no chdir: it is refused in worker threads
    process.env.GROQ_API_KEY = 'g';
    expect(loadKeys('groq')).toEqual([{ name: 'GROQ_API_KEY', secret: 'g' }]);
  });

  it('readEnv takes a directory', () => {
    writeFileSync(join(dir, '.env'), 'SB_TEST_ONLY=1\n');
    expect(readEnv(dir).SB_TEST_ONLY).toBe('1');
    expect(process.env.SB_TEST_ONLY).toBeUndefined();
  });
});
