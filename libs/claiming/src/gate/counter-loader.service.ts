import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { LifecycleStatus } from '@jinli/contracts';
import { Clock } from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';
import { ClaimGate } from './claim-gate.service';
import { parsePendingMember } from './claim-keys';
import { BatchSource, fullMeta, staticFields } from './gate-meta';

const LOCK_TTL_MS = 60_000;
const WAIT_FOR_LOAD_MS = 15_000;
const SLOT_CHUNK = 2000;
const ROW_CHUNK = 50_000;

/**
 * Loads the gate's counters from PostgreSQL, the system of record: when a batch is published or
 * changed, lazily when a claim finds them missing, and again after Redis lost them. Only one process
 * loads a batch at a time (a short Redis lock); the others wait for the `loaded` marker.
 */
@Injectable()
export class CounterLoader {
  private readonly log = new Logger(CounterLoader.name);
  private readonly loading = new Map<number, Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: ClaimGate,
    private readonly clock: Clock,
  ) {}

  /** Makes sure the batch's counters are in Redis (loads them, or waits for whoever is loading). */
  ensureLoaded(batchId: number): Promise<void> {
    let p = this.loading.get(batchId);
    if (!p) {
      p = this.loadOrWait(batchId).finally(() => this.loading.delete(batchId));
      this.loading.set(batchId, p);
    }
    return p;
  }

  /** Rebuilds the batch's counters from PostgreSQL (plus reservations still waiting for their row). */
  async rebuild(batchId: number): Promise<void> {
    await this.withLock(batchId, () => this.rebuildLocked(batchId));
  }

  /**
   * Re-reads the batch's rules and rounds after a change; keeps the live counters. Loads everything
   * when the batch is not in Redis yet.
   */
  async refresh(batchId: number): Promise<void> {
    await this.withLock(batchId, async () => {
      const src = await this.readSource(this.dataSource.manager, batchId);
      const fields = staticFields(src);
      const done = await this.gate.refresh(batchId, src.rounds.length, fields);
      if (done === -1) await this.rebuildLocked(batchId);
    });
  }

  /** The batch as PostgreSQL has it now: what a load or a refresh would write from. */
  source(batchId: number): Promise<BatchSource> {
    return this.readSource(this.dataSource.manager, batchId);
  }

  private async loadOrWait(batchId: number): Promise<void> {
    const deadline = Date.now() + WAIT_FOR_LOAD_MS;
    while (Date.now() < deadline) {
      if (await this.gate.isLoaded(batchId)) return;
      const token = randomUUID();
      if (await this.gate.lock(batchId, token, LOCK_TTL_MS)) {
        try {
          if (!(await this.gate.isLoaded(batchId))) await this.rebuildLocked(batchId);
        } finally {
          await this.gate.unlock(batchId, token);
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new ClaimingException('UNAVAILABLE', 'Claim counters are being rebuilt; try again in a moment');
  }

  private async withLock(batchId: number, work: () => Promise<void>): Promise<void> {
    const token = randomUUID();
    const deadline = Date.now() + WAIT_FOR_LOAD_MS;
    while (!(await this.gate.lock(batchId, token, LOCK_TTL_MS))) {
      if (Date.now() > deadline) {
        throw new ClaimingException('UNAVAILABLE', `Batch ${batchId} is being loaded by another process`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    try {
      await work();
    } finally {
      await this.gate.unlock(batchId, token);
    }
  }

  private async rebuildLocked(batchId: number): Promise<void> {
    const started = Date.now();
    const k = this.gate.keys(batchId);
    const r = this.gate.client;
    const bornBefore = await r.hget(k.meta, 'born');
    // Claims, confirmations and releases wait (they see "not loaded") until the rebuild is done.
    await r.hdel(k.meta, 'loaded');
    // Pending first, then PostgreSQL: a reservation committed in between is in one or the other.
    let pending = await r.zrange(k.pending, 0, -1);
    const { src, slots } = await this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const source = await this.readSource(m, batchId);
      // The gate numbers rounds 1..n in seq order.
      const seqOf = new Map(source.rounds.map((x, i) => [x.id, i + 1]));
      const held = new Map<string, number>();
      let after = 0;
      for (;;) {
        const rows = (await m.query(
          `SELECT id, citizen_id, slot, round_id FROM voucher WHERE batch_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
          [batchId, after, ROW_CHUNK],
        )) as { id: number; citizen_id: number; slot: number; round_id: number }[];
        for (const row of rows) held.set(`${row.citizen_id}:${row.slot}`, seqOf.get(row.round_id) ?? 0);
        if (rows.length < ROW_CHUNK) break;
        after = rows[rows.length - 1].id;
      }
      return { src: source, slots: held };
    });
    if (bornBefore !== null && bornBefore !== String(src.createdAt.getTime())) {
      // These keys described another batch with the same id (a recreated database): drop them all.
      pending = [];
      await r.del(k.pending);
    }
    const rounds = [...src.rounds].sort((a, b) => a.seq - b.seq);
    const extra = new Map<number, number>();
    for (const member of pending) {
      const p = parsePendingMember(member);
      const field = `${p.citizenId}:${p.slot}`;
      if (slots.has(field) || p.roundSeq < 1 || p.roundSeq > rounds.length) continue;
      slots.set(field, p.roundSeq);
      extra.set(p.roundSeq, (extra.get(p.roundSeq) ?? 0) + 1);
    }
    await r.del(k.meta, k.slots);
    const entries = [...slots.entries()];
    for (let i = 0; i < entries.length; i += SLOT_CHUNK) {
      await r.hset(k.slots, Object.fromEntries(entries.slice(i, i + SLOT_CHUNK)));
    }
    await r.hset(k.meta, fullMeta(src, extra, this.clock.now().toISOString()));
    this.log.log(
      `batch ${batchId}: counters loaded from PostgreSQL (${slots.size} vouchers, ${pending.length} pending) in ${Date.now() - started} ms`,
    );
  }

  private async readSource(m: EntityManager, batchId: number): Promise<BatchSource> {
    const [b] = (await m.query(
      `SELECT b.id, b.created_at, b.status, b.per_citizen_limit, b.roll_over_unclaimed, b.quota, b.returned_count,
              b.issued_count, b.validity_kind, b.valid_until, c.status AS campaign_status, c.ends_at
         FROM voucher_batch b JOIN campaign c ON c.id = b.campaign_id WHERE b.id = $1`,
      [batchId],
    )) as {
      id: number;
      created_at: Date;
      status: LifecycleStatus;
      per_citizen_limit: number;
      roll_over_unclaimed: boolean;
      quota: number;
      returned_count: number;
      issued_count: number;
      validity_kind: 'fixed' | 'relative';
      valid_until: Date | null;
      campaign_status: LifecycleStatus;
      ends_at: Date;
    }[];
    if (!b) throw new ClaimingException('BATCH_NOT_FOUND', `Batch ${batchId} was not found`);
    const rounds = (await m.query(
      `SELECT id, seq, opens_at, closes_at, quota, carried_in, carried_out, issued_count
         FROM claim_round WHERE batch_id = $1 ORDER BY seq`,
      [batchId],
    )) as {
      id: number;
      seq: number;
      opens_at: Date;
      closes_at: Date | null;
      quota: number;
      carried_in: number;
      carried_out: number;
      issued_count: number;
    }[];
    return {
      batchId,
      createdAt: b.created_at,
      status: b.status,
      campaignStatus: b.campaign_status,
      campaignEndsAt: b.ends_at,
      perCitizenLimit: b.per_citizen_limit,
      rollOverUnclaimed: b.roll_over_unclaimed,
      quota: b.quota,
      returnedCount: b.returned_count,
      issuedCount: b.issued_count,
      validityKind: b.validity_kind,
      validUntil: b.valid_until,
      rounds: rounds.map((x) => ({
        id: x.id,
        seq: x.seq,
        opensAt: x.opens_at,
        closesAt: x.closes_at,
        quota: x.quota,
        carriedIn: x.carried_in,
        carriedOut: x.carried_out,
        issuedCount: x.issued_count,
      })),
    };
  }
}
