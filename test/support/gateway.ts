import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

/** The built command line; the integration tests run after `npm run build`. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/**
 * Resolves once `check()` is truthy, re-checking after each turn of I/O; rejects after `timeoutMs`.
 * Never a fixed sleep: the checks used here are HTTP round trips, which pace the loop themselves.
 */
export async function waitUntil<T>(check: () => T | Promise<T>, timeoutMs = 5_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** An openai SDK client on the gateway: no retries of its own, so every status is the gateway's. */
export function openaiClient(url: string, options: { apiKey?: string; headers?: Record<string, string> } = {}): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: options.apiKey ?? 'anything', maxRetries: 0, timeout: 10_000, defaultHeaders: options.headers });
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far. */
  lines: string[];
  stderr: () => string;
  /** Resolves with the first stdout line matching `re` (already printed or still to come). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) if still running and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `switchboard serve <args>` as a child process (cwd: the temp dir, so no `.env` is read;
 * no provider or SWITCHBOARD_* variables inherited) and resolves once its first line gives the URL.
 */
export async function startGatewayProcess(args: string[], env: Record<string, string> = {}, timeoutMs = 10_000): Promise<GatewayProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(OPENAI|ANTHROPIC|CLAUDE|GROQ|GOOGLE|GEMINI)_|^SWITCHBOARD_/.test(k)) clean[k] = v;
  }
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd: tmpdir(), env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    for (const l of listeners) l();
    resolve(code);
  }));
  let done = false;
  void exited.then(() => (done = true));

  const waitForLine = (re: RegExp, ms = timeoutMs): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit !== undefined) {
          finish();
          resolve(hit);
        } else if (done) {
          finish();
          reject(new Error(`the gateway exited before printing ${re}; stderr: ${err}`));
        }
      };
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no line matching ${re} within ${ms} ms; stdout: ${lines.join('\n')}; stderr: ${err}`));
      }, ms);
      listeners.add(check);
      check();
    });

  const first = await waitForLine(/listening on http:\/\//);
  const url = /(http:\/\/[^\s]+)/.exec(first)![1]!;
  return {
    child, url, lines, waitForLine, exited,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

/** The gateway's `/health` JSON. */
export async function health(url: string): Promise<any> {
  return (await fetch(`${url}/health`)).json();
}
