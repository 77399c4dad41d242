import type { ActorRefFrom } from 'xstate';
import type { batcherMachine, FlushReason } from '../../machines/batcher.machine.js';
import type { KeyRuntime } from '../keys/key-runtime.js';
import type { EmbedReply } from '../types.js';
import type { Dispatcher } from './dispatcher.js';
import { batchEntry, type BatchEntry, type BatchSlice, type MemberEntry } from './entry.js';
import { finishBatch, settleOk } from './settlement.js';

type BatcherRef = ActorRefFrom<typeof batcherMachine>;

/**
 * The batch collector (docs/ARCHITECTURE.md §2 "Batching"): holds each model's collecting members as data; the
 * model's batcher machine decides when they flush (`batch.flush`), and this turns them into one
 * batch entry in the queue. It also assembles each member's result from its batch parts.
 */
export class BatchCollector {
  private readonly models = new Map<string, { members: MemberEntry[]; ref: BatcherRef }>();

  constructor(private readonly d: Dispatcher) {}

  /**
   * A member joins its model's batch. One larger than `maxBatchSize` — or an embed of a model that
   * is not batched but has more inputs than the provider takes in one call — goes alone, in chunks
   * of the provider's own limit (OpenAI 2,048 inputs, Gemini 100).
   */
  join(member: MemberEntry, batchable: boolean): void {
    const d = this.d;
    const size = member.inputs.length;
    if (!batchable || size > d.cfg.batching.maxBatchSize) {
      const limit = d.host.adapter.maxEmbeddingInputs;
      member.partsLeft = Math.ceil(size / limit);
      for (let from = 0; from < size; from += limit) this.send(member.model, [{ member, from, to: Math.min(size, from + limit), offset: 0 }], 'size');
      return;
    }
    let collector = this.models.get(member.model);
    if (!collector) {
      collector = { members: [], ref: d.host.batcher(member.model) };
      this.models.set(member.model, collector);
    }
    let pending = 0;
    for (const m of collector.members) pending += m.inputs.length;
    if (pending > 0 && pending + size > d.cfg.batching.maxBatchSize) collector.ref.send({ type: 'batch.flush' });
    member.partsLeft = 1;
    member.phase = 'collecting';
    collector.members.push(member);
    collector.ref.send({ type: 'input.add', size, high: member.level === 0, ready: d.hasFreeSlot() });
  }

  /** The batcher machine said flush: the collected members become one queue entry. */
  onFlush(model: string, reason: FlushReason): void {
    const collector = this.models.get(model);
    if (!collector) return;
    const members = collector.members.filter((m) => m.phase !== 'settled');
    collector.members = [];
    collector.ref.send({ type: 'batch.sent' });
    if (members.length === 0) return this.returned(model);
    // An early flush (nothing to batch with, or the last batch came back) is the window closing early.
    this.send(model, members.map((member) => ({ member, from: 0, to: member.inputs.length, offset: 0 })), reason === 'ready' ? 'timeout' : reason);
  }

  /** A batch of `model` came back (or was abandoned): the batcher may send what collected meanwhile. */
  returned(model: string): void {
    this.models.get(model)?.ref.send({ type: 'batch.returned' });
  }

  private send(model: string, slices: BatchSlice[], reason: 'size' | 'timeout' | 'priority', bypassSize = false): void {
    const d = this.d;
    const now = d.host.clock.now();
    const inputs: string[] = [];
    let level: 0 | 1 | 2 = 2;
    let earliest = Infinity;
    for (const s of slices) {
      s.offset = inputs.length;
      for (let i = s.from; i < s.to; i++) inputs.push(s.member.inputs[i]!);
      if (s.member.level < level) level = s.member.level;
      earliest = Math.min(earliest, s.member.createdAt + s.member.timeoutMs);
      s.member.phase = 'queued';
    }
    const batch = batchEntry(slices[0]!.member.requestId, model, level, now, earliest - now, inputs, slices);
    for (const s of slices) s.member.batches.push(batch);
    if (d.host.metrics.enabled) d.host.metrics.batchFlushed(slices.length);
    if (d.host.emitter.has('batch.flushed')) d.host.emitter.emit('batch.flushed', { model, size: slices.length, reason });
    d.active.add(batch);
    d.enqueue(batch, bypassSize);
  }

  /** A 400 on a shared call: split in halves (not retries) so only the bad input's caller fails. */
  bisect(batch: BatchEntry): void {
    const slices = batch.slices;
    const mid = Math.ceil(slices.length / 2);
    for (const s of slices) s.member.partsLeft++;
    finishBatch(this.d, batch);
    this.send(batch.model, slices.slice(0, mid).map((s) => ({ ...s })), 'size', true);
    this.send(batch.model, slices.slice(mid).map((s) => ({ ...s })), 'size', true);
    for (const s of slices) s.member.partsLeft--;
  }

  /** The shared call answered: each member gets its vectors and its share of the usage. */
  settle(batch: BatchEntry, key: KeyRuntime, parsed: { embeddings: number[][]; usage: { inputTokens: number } | null }): void {
    const d = this.d;
    const total = batch.inputs.length;
    const slices = batch.slices;
    finishBatch(d, batch);
    for (const s of slices) {
      const m = s.member;
      if (m.phase === 'settled') continue;
      for (let i = s.from; i < s.to; i++) m.vectors[i] = parsed.embeddings[s.offset + (i - s.from)]!;
      if (parsed.usage) {
        m.hasUsage = true;
        m.usageIn += Math.round((parsed.usage.inputTokens * (s.to - s.from)) / total);
      }
      m.attempts = Math.max(m.attempts, batch.attempts);
      m.batchedWith = Math.max(m.batchedWith, slices.length);
      if (--m.partsLeft > 0) continue;
      m.dispatchedAt = batch.dispatchedAt;
      m.lastKeyName = key.name;
      const usage = m.hasUsage ? { inputTokens: m.usageIn, outputTokens: 0, totalTokens: m.usageIn } : null;
      const reply: EmbedReply = {
        requestId: m.requestId, provider: d.host.adapter.provider, model: m.model, embeddings: m.vectors,
        usage, keyName: key.name, attempts: m.attempts, batched: m.batchedWith > 1,
      };
      settleOk(d, m, reply, usage?.inputTokens ?? 0, 0);
    }
  }

  /**
   * A member settled (aborted, timed out, stopped): it leaves a collecting batch, or its result is
   * dropped after the flush; a batch left with no waiting member is abandoned.
   */
  leave(member: MemberEntry): void {
    const collector = this.models.get(member.model);
    const at = collector ? collector.members.indexOf(member) : -1;
    if (collector && at >= 0) {
      collector.members.splice(at, 1);
      collector.ref.send({ type: 'input.remove', size: member.inputs.length });
    }
    for (const batch of member.batches) {
      if (batch.phase !== 'settled' && batch.slices.every((s) => s.member.phase === 'settled')) finishBatch(this.d, batch);
    }
  }

  /** Every member still collecting (a stop settles them). */
  collecting(): MemberEntry[] {
    const out: MemberEntry[] = [];
    for (const [, c] of this.models) out.push(...c.members.splice(0));
    return out;
  }

  /** Flushes every collecting batch now (a draining stop). */
  flushAll(): void {
    for (const [, c] of this.models) if (c.members.length > 0) c.ref.send({ type: 'batch.flush' });
  }
}
