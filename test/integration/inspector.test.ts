import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock, type TestClock } from '../../src/clock.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import { createRouter, type Router } from '../../src/router/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { drive } from '../support/sim-board.js';

/**
 * The inspector page in a real headless Chromium, against a router on the simulator: the breaker
 * opens under an outage and the page says so, then it closes after recovery. The router and the
 * inspector run on a test clock, so the breaker half-opens when the test says, not after a real
 * wait. Runs on its own (a browser per file); Chromium comes from Debian (`bash .ci/install-chromium.sh`).
 */
const CHROMIUM = '/usr/bin/chromium';

/** The little of the DOM the page-side predicates use (this project compiles without the DOM lib). */
interface Rect { left: number; top: number; right: number; bottom: number; width: number; height: number }
interface El {
  textContent: string | null; tagName: string; clientWidth: number; scrollWidth: number;
  classList: { contains(name: string): boolean }; querySelector(selector: string): El | null; querySelectorAll(selector: string): ArrayLike<El>;
  getBoundingClientRect(): Rect; getAttribute(name: string): string | null; closest(selector: string): El | null;
  getTotalLength(): number; getPointAtLength(at: number): { x: number; y: number; matrixTransform(m: unknown): { x: number; y: number } };
  getScreenCTM(): unknown; ownerSVGElement: { createSVGPoint(): { x: number; y: number; matrixTransform(m: unknown): { x: number; y: number } } };
}
declare const document: { querySelector(selector: string): El | null; querySelectorAll(selector: string): ArrayLike<El> };
const ARTIFACTS = 'test-artifacts';
const BOUND_MS = 10_000;

let sim: Simulator;
let clock: TestClock;
let router: Router;
let inspector: Inspector;
let server: Server;
let base: string;
let browser: Browser;
let page: Page;
const offsite: string[] = [];

const hi = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello inspector' }] };
const settle = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e?.code ?? 'error');
const breakerText = () => page.locator('[data-testid="breaker-openai"]').textContent({ timeout: BOUND_MS });

/** Resolves on the board's next `type` event, or rejects after a bound (never a fixed sleep). */
function next(type: 'breaker.opened' | 'breaker.halfOpen' | 'breaker.closed'): Promise<void> {
  const board = router.boards.get('openai')!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no ${type} within ${BOUND_MS} ms`))), BOUND_MS);
    const off = board.on(type, () => (clearTimeout(timer), off(), resolve()));
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: run \`bash .ci/install-chromium.sh\` (apt-get install -y chromium) before this test; it does not skip.`);
  }
  sim = await startSimulator({ seed: 11 });
  clock = createTestClock(Date.now());
  router = createRouter({
    clock,
    providers: {
      openai: {
        baseUrl: sim.urls.openai,
        keys: [{ name: 'primary', secret: 'sk-inspector-primary-0001' }, { name: 'backup', secret: 'sk-inspector-backup-0002' }],
        circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 2_000, halfOpenProbes: 1 },
        retry: { maxRetries: 0 },
      },
      anthropic: { baseUrl: sim.urls.anthropic, keys: [{ name: 'main', secret: 'sk-ant-inspector-0003' }], retry: { maxRetries: 1, initialDelayMs: 700, jitter: 'full' } },
    },
  });
  inspector = createInspector(router, { clock, intervalMs: 100 });
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/inspect') return inspector.page(req, res);
    if (path === '/inspect/events') return inspector.events(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) offsite.push(r.url());
  });
});

afterAll(async () => {
  await browser?.close();
  inspector?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await router?.stop();
  await sim?.stop();
});

describe('the inspector page', () => {
  it('shows the breaker opening under an outage and closing after recovery', async () => {
    await page.goto(`${base}/inspect`);
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor({ timeout: BOUND_MS });
    expect(await breakerText()).toBe('closed');
    expect(await settle(router.chat(hi))).toBe('ok');

    sim.configure({ openai: { outage: { status: 503, forMs: 60_000 } } });
    const opened = next('breaker.opened');
    const outcomes = await Promise.all([settle(router.chat(hi)), settle(router.chat(hi))]);
    expect(outcomes.every((o) => o !== 'ok')).toBe(true);
    await opened;
    // The pill and the statechart both show it (the breaker stays open until the test clock moves).
    await page.waitForFunction(() => {
      const pill = document.querySelector('[data-testid="breaker-openai"]')?.textContent;
      const node = document.querySelector('svg[data-machine="circuitBreaker"] g[data-state="open"]');
      return pill === 'open' && node?.classList.contains('active') && node.querySelector('text.badge')?.textContent === 'openai';
    }, null, { timeout: BOUND_MS });
    await expect.poll(() => page.locator('#recent').textContent(), { timeout: BOUND_MS }).toMatch(/openaibreakerclosed → open/);

    sim.configure({ openai: { outage: null } });
    const halfOpen = next('breaker.halfOpen');
    await clock.tickAsync(2_000); // resetTimeoutMs
    await halfOpen;
    await page.waitForFunction(() => document.querySelector('[data-testid="breaker-openai"]')?.textContent === 'halfOpen', null, { timeout: BOUND_MS });
    const closed = next('breaker.closed');
    expect(await settle(router.chat(hi))).toBe('ok'); // the half-open probe
    await closed;
    await page.waitForFunction(() => document.querySelector('[data-testid="breaker-openai"]')?.textContent === 'closed', null, { timeout: BOUND_MS });
    expect(await page.locator('[data-testid="breaker-anthropic"]').textContent()).toBe('closed');
    expect(await page.locator('[data-testid="key-openai-primary"]').textContent()).toBe('ready');

    // The throttled summary reaches the page when the inspector's clock moves.
    await clock.tickAsync(100);
    await expect.poll(() => page.locator('[data-testid="requests-openai"]').textContent(), { timeout: BOUND_MS }).toBe('4');
    await expect.poll(() => page.locator('#recent').textContent(), { timeout: BOUND_MS }).toMatch(/openaibreakerhalfOpen → closed/);

    const html = await page.content();
    expect(html).not.toContain('sk-inspector-primary-0001');
    expect(offsite).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/inspector.png`, fullPage: true });
  });

  it('prints durations rounded for reading (a retry delay drawn with full jitter)', async () => {
    sim.configure({ anthropic: { script: ['503'] } });
    const chat = router.chat({ ...hi, model: 'claude-3-5-haiku-latest' });
    expect(await settle(drive(clock, chat))).toBe('ok');
    await expect.poll(() => page.locator('#recent').textContent(), { timeout: BOUND_MS }).toMatch(/anthropicretry:\S+/);
    const recent = (await page.locator('#recent').textContent()) ?? '';
    expect(recent).toMatch(/delay=\d+ ms/);
    expect(recent).not.toMatch(/=\d+\.\d{3,}/); // no raw float in the details
    // The next summary (the inspector's clock moves) shows the retry gone and the request counted.
    await clock.tickAsync(100);
    await expect.poll(() => page.locator('[data-testid="requests-anthropic"]').textContent(), { timeout: BOUND_MS }).toBe('1');
  });
});

describe('the inspector page at 1280 × 800', () => {
  it('draws statecharts whose texts overlap neither each other nor an edge (DOM bounding boxes)', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('svg[data-machine="keySlot"]').waitFor({ timeout: BOUND_MS });
    const problems = await page.evaluate(() => {
      const out: string[] = [];
      const hit = (a: Rect, b: Rect, tol: number) => a.left < b.right - tol && b.left < a.right - tol && a.top < b.bottom - tol && b.top < a.bottom - tol;
      for (const svg of Array.from(document.querySelectorAll('svg.chart'))) {
        const machine = svg.getAttribute('data-machine');
        const texts = Array.from(svg.querySelectorAll('text')).filter((t) => (t.textContent ?? '').trim() !== '');
        const boxes = texts.map((t) => ({ text: t.textContent ?? '', r: t.getBoundingClientRect() }));
        if (boxes.length === 0) out.push(`${machine}: no text at all`);
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) if (hit(boxes[i]!.r, boxes[j]!.r, 0.5)) out.push(`${machine}: "${boxes[i]!.text}" overlaps "${boxes[j]!.text}"`);
        }
        // Each edge, sampled every 2 user units, never passes through a text.
        for (const path of Array.from(svg.querySelectorAll('path.edge'))) {
          const ctm = path.getScreenCTM();
          const total = path.getTotalLength();
          for (let at = 0; at <= total; at += 2) {
            const p = path.getPointAtLength(at).matrixTransform(ctm);
            for (const b of boxes) {
              if (p.x > b.r.left + 1 && p.x < b.r.right - 1 && p.y > b.r.top + 1 && p.y < b.r.bottom - 1) {
                out.push(`${machine}: edge ${path.getAttribute('data-edge') ?? '(initial)'} runs through "${b.text}"`);
                break;
              }
            }
          }
        }
      }
      return [...new Set(out)];
    });
    expect(problems).toEqual([]);
  });

  it('shows every table column without clipping: no cell overflows, no table wider than its box', async () => {
    const problems = await page.evaluate(() => {
      const out: string[] = [];
      for (const table of Array.from(document.querySelectorAll('table'))) {
        const box = table.closest('.wide, .scroll, .card, .panel') ?? table;
        const edge = box.getBoundingClientRect();
        if (box.scrollWidth > box.clientWidth + 1) out.push(`a ${box.tagName.toLowerCase()}.${box.getAttribute('class')} scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
        for (const cell of Array.from(table.querySelectorAll('th, td'))) {
          const r = cell.getBoundingClientRect();
          const what = `${cell.tagName.toLowerCase()} "${(cell.textContent ?? '').slice(0, 40)}"`;
          if (cell.scrollWidth > cell.clientWidth + 1) out.push(`${what} overflows its cell (${cell.scrollWidth} > ${cell.clientWidth})`);
          if (r.right > edge.right + 0.5 || r.left < edge.left - 0.5) out.push(`${what} is cut by its box`);
        }
      }
      return out;
    });
    expect(problems).toEqual([]);
    expect(await page.locator('[data-provider="openai"] table tbody tr').count()).toBeGreaterThanOrEqual(2);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/inspector-1280.png`, fullPage: true });
    await page.screenshot({ path: `${ARTIFACTS}/inspector-1280-fold.png` });
    for (const name of ['supervisor', 'circuitBreaker', 'keySlot', 'batcher', 'retry']) {
      await page.locator(`figure[data-chart="${name}"]`).screenshot({ path: `${ARTIFACTS}/chart-${name}.png` });
    }
  });
});
