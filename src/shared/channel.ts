import type { SharedEvent } from './types.js';

/** What the scripts publish on the endpoint's channel (key-scripts.ts, breaker-scripts.ts), as JSON. */
interface Published {
  k?: string;
  o?: string;
  id?: string;
  ev?: string;
  state?: string;
  now?: number;
  untilMs?: number;
  trips?: number;
  reason?: string;
  n?: number;
  all?: number;
}

/** A published message as one instance reads it: an event for its listeners, or a new instance count. */
export type ChannelMessage = Extract<SharedEvent, { type: 'key' | 'breaker' }> | { type: 'instances'; n: number; at: number };

/**
 * Reads one message of the endpoint's channel (docs/ARCHITECTURE.md §14). Null for what this
 * instance published itself (`self`: its own changes already reached its actors), for a key it
 * does not hold (`keyName` answers undefined) and for anything unreadable. Waits are from the
 * publisher's Redis instant, so they need no clock here.
 */
export function readMessage(raw: string, self: string, keyName: (id: string) => string | undefined): ChannelMessage | null {
  let m: Published;
  try {
    m = JSON.parse(raw);
  } catch {
    return null;
  }
  if (m.o === self) return null;
  if (m.k === 'instances') return { type: 'instances', n: Number(m.n), at: Number(m.now) };
  const waitMs = Math.max(0, Number(m.untilMs ?? 0) - Number(m.now ?? 0));
  if (m.k === 'key') {
    const name = m.id === undefined ? undefined : keyName(m.id);
    if (name === undefined) return null;
    const state = m.ev as 'disabled' | 'cooling' | 'exhausted' | 'released';
    return { type: 'key', keyName: name, state, waitMs, ...(m.reason ? { reason: m.reason } : {}), ...(m.all ? { all: true } : {}) };
  }
  if (m.k === 'breaker') {
    const state = m.state === 'open' || m.state === 'halfOpen' ? m.state : 'closed';
    return { type: 'breaker', state, waitMs, trips: Number(m.trips ?? 0) };
  }
  return null;
}
