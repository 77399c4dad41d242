import { registerSecret } from './redact.js';

/**
 * The secrets of one board, keyed by key name (docs/ARCHITECTURE.md §5): outside every actor's context and every
 * event. Only the attempt that builds the outgoing auth header reads a secret back. The map is a
 * true private field, so `console.log(store)` and `util.inspect` never show a secret.
 */
export class SecretStore {
  readonly #secrets = new Map<string, string>();

  get(name: string): string | undefined {
    return this.#secrets.get(name);
  }

  /** Stores the secret, and registers it with the process-wide redaction (`redact.ts`) so no log line or error echoes it. */
  set(name: string, secret: string): void {
    registerSecret(secret);
    this.#secrets.set(name, secret);
  }

  delete(name: string): boolean {
    return this.#secrets.delete(name);
  }

  has(name: string): boolean {
    return this.#secrets.has(name);
  }

  names(): string[] {
    return [...this.#secrets.keys()];
  }

  /** Every secret, for scrubbing text that might echo one (never for display). */
  values(): string[] {
    return [...this.#secrets.values()];
  }

  /** What `util.inspect` shows: the names only. */
  toJSON(): { names: string[] } {
    return { names: this.names() };
  }
}
