import { ConfigError } from '../../errors.js';
import { invalid } from '../../options.js';
import { readJsonObject } from '../body.js';
import type { RequestContext } from '../context.js';
import { sendJson } from '../respond.js';

const WHERE = 'embeddings';

/** OpenAI's `encoding_format: "base64"` (the openai SDK's default): float32, little-endian, base64. */
export function toBase64Floats(vector: readonly number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}

/** Checks an OpenAI embeddings body: `input` is a string or a non-empty array of strings. */
function parseEmbeddingsBody(body: Record<string, unknown>): { model: string; input: string | string[]; base64: boolean } {
  const { model, input, encoding_format: format } = body;
  if (typeof model !== 'string' || model === '') throw invalid(WHERE, 'model', 'a non-empty string', model);
  const okInput = typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === 'string'));
  // Token-id arrays are OpenAI-only and cannot be re-encoded for another provider.
  if (!okInput) throw invalid(WHERE, 'input', 'a string or a non-empty array of strings', input);
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') throw invalid(WHERE, 'encoding_format', "'float' | 'base64'", format);
  for (const [k, v] of Object.entries(body)) {
    if (k === 'model' || k === 'input' || k === 'encoding_format' || v === undefined || v === null) continue;
    throw new ConfigError(`\`${k}\` is not supported by the gateway's embeddings endpoint yet; remove it`, k);
  }
  return { model, input: input as string | string[], base64: format === 'base64' };
}

/** `POST /v1/embeddings`: OpenAI's request → `router.embed` → OpenAI's `list` of `embedding`s. */
export async function embeddings(ctx: RequestContext): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.body);
  const { model, input, base64 } = parseEmbeddingsBody(body);
  const reply = await ctx.router.embed({ model, input }, { priority: ctx.priority, requestId: ctx.requestId, signal: ctx.signal });
  sendJson(
    ctx.res,
    200,
    {
      object: 'list',
      data: reply.embeddings.map((e, index) => ({ object: 'embedding', index, embedding: base64 ? toBase64Floats(e) : e })),
      model: reply.model,
      usage: { prompt_tokens: reply.usage?.inputTokens ?? 0, total_tokens: reply.usage?.totalTokens ?? 0 },
      ...(reply.fallbackFrom !== undefined ? { fallback_from: reply.fallbackFrom } : {}),
    },
    { 'x-switchboard-provider': reply.provider },
  );
}
