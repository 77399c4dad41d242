import { fnv1a, mulberry32 } from './random.js';

/**
 * A deterministic unit vector for `text`: the same text always gets the same vector, whatever the
 * provider, model or seed; different texts get different ones.
 */
export function embedText(text: string, dimensions: number): number[] {
  const random = mulberry32(fnv1a(text));
  const v = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    v[i] = random() * 2 - 1;
    norm += v[i]! * v[i]!;
  }
  norm = Math.sqrt(norm) || 1;
  // Rounded through float32 so the float and base64 encodings carry the same numbers.
  return v.map((x) => Math.fround(x / norm));
}

/** OpenAI's `encoding_format: "base64"`: the float32 little-endian bytes, base64-encoded. */
export function toBase64Float32(vector: number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}
