/** Helpers shared by the wire formats. */

/**
 * A key as OpenAI echoes it in a 401: the first 6 characters, `***`, the last 4 — and for a key too
 * short for that, only its first third, so the whole secret never appears.
 */
export function maskKey(key: string): string {
  if (key.length >= 16) return `${key.slice(0, 6)}***${key.slice(-4)}`;
  return `${key.slice(0, Math.floor(key.length / 3))}***`;
}

/** An SSE frame: optional `event:` line, one `data:` line, and the blank line that ends it. */
export function sseFrame(data: unknown, event?: string, eol = '\n'): string {
  const json = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event ? `event: ${event}${eol}` : ''}data: ${json}${eol}${eol}`;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The text of a content that is a string or an array of parts with `text` fields. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).filter((t) => t !== '').join('\n');
  }
  return '';
}

/** Fields holding image bytes, links or structure: they do not count as text. */
const NOT_TEXT = new Set(['image_url', 'source', 'inlineData', 'fileData', 'data', 'url', 'role', 'type', 'tool_call_id', 'tool_use_id', 'id']);

/** Characters of every text inside a value (image payloads left out): the input token count's basis. */
export function charsIn(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + charsIn(v), 0);
  if (isRecord(value)) {
    let n = 0;
    for (const [k, v] of Object.entries(value)) if (!NOT_TEXT.has(k)) n += charsIn(v);
    return n;
  }
  return 0;
}

/** Splits a JSON text into about three pieces, for `input_json_delta` / `tool_calls` argument deltas. */
export function splitJson(json: string): string[] {
  const size = Math.max(1, Math.ceil(json.length / 3));
  const out: string[] = [];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out;
}

export function positiveInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
}
