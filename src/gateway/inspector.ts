import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '../router/index.js';
import type { Clock, Logger } from '../types.js';

/** What the gateway needs of the live inspector (`src/inspector/index.ts`'s `createInspector`). */
export interface Inspector {
  /** `GET /inspect`: the page. */
  page(req: IncomingMessage, res: ServerResponse): void;
  /** `GET /inspect/events`: its live event stream. */
  events(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

/** `createInspector(router, { clock })`. */
export type InspectorFactory = (router: Router, options: { clock?: Clock }) => Inspector | Promise<Inspector>;

/**
 * Finds `createInspector` in `src/inspector/index` when this build has it. Imported by a computed
 * specifier, so the gateway compiles and runs without it; the `.ts` candidate serves runs from
 * source (vitest, tsx). A module that exists but fails to load is reported, not hidden.
 */
export async function loadInspectorFactory(logger?: Logger): Promise<InspectorFactory | null> {
  for (const candidate of ['../inspector/index.js', '../inspector/index.ts']) {
    const href = new URL(candidate, import.meta.url).href;
    try {
      const mod = (await import(href)) as { createInspector?: unknown };
      if (typeof mod.createInspector === 'function') return mod.createInspector as InspectorFactory;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_FILE_EXTENSION' || /Cannot find module|Failed to load url|does not exist/i.test(String((error as Error)?.message));
      if (!missing) logger?.warn?.({ err: String(error) }, 'gateway: the inspector module failed to load; /inspect is unavailable');
    }
  }
  return null;
}
