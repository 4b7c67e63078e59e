import { performance } from 'node:perf_hooks';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Histogram } from 'prom-client';
import { AppConfig, APP_CONFIG, counter, metricsRegistry, pgErrorOf } from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';
import { ClaimGate } from '../gate/claim-gate.service';
import { pendingMember } from '../gate/claim-keys';
import { CounterLoader } from '../gate/counter-loader.service';

/** A reserved claim, ready to become a voucher row. */
export interface VoucherDraft {
  batchId: number;
  roundId: number;
  /** The gate's round number (1..n in seq order). */
  round: number;
  citizenId: number;
  slot: number;
  claimedAtMs: number;
  validFromMs: number;
  validUntilMs: number;
  /** The round used quota left by other rounds: move it in PostgreSQL before the insert. */
  borrowed: boolean;
}

export interface WrittenVoucher extends VoucherDraft {
  id: number;
}

interface Queued {
  draft: VoucherDraft;
  enqueuedAt: number;
  resolve: (v: WrittenVoucher) => void;
  reject: (e: unknown) => void;
}

const INSERT_SQL = `
  INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
  SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::smallint[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
  RETURNING id, batch_id, citizen_id, slot`;

export function histogram(name: string, help: string, buckets: number[]): Histogram<string> {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) return existing as Histogram<string>;
  return new Histogram({ name, help, buckets, registers: [metricsRegistry] });
}

const rowsWritten = counter('jinli_claim_rows_written_total', 'Voucher rows written by the claim writer');
const inserts = counter('jinli_claim_inserts_total', 'Multi-row voucher inserts', ['outcome']);
const insertRows = histogram(
  'jinli_claim_insert_rows',
  'Rows per multi-row voucher insert',
  [1, 5, 10, 25, 50, 100, 250, 500, 1000],
);
const insertSeconds = histogram(
  'jinli_claim_insert_seconds',
  'Duration of one multi-row voucher insert',
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
);
const queueSeconds = histogram(
  'jinli_claim_queue_seconds',
  'Time a reserved claim waited for its insert',
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
);

/**
 * Durable before acknowledged. Reserved claims are collected for a few milliseconds (or until
 * CLAIM_WRITER_MAX_BATCH) and written by ONE multi-row INSERT ... SELECT FROM unnest(...), a
 * single-statement transaction; each caller's promise resolves only after the commit that holds its
 * row. The voucher trigger and uq_voucher_batch_citizen_slot check every row: when PostgreSQL refuses
 * the statement, the rows are retried one by one so one bad row does not fail the others.
 */
@Injectable()
export class ClaimWriter implements BeforeApplicationShutdown {
  private readonly log = new Logger(ClaimWriter.name);
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  /** A row not started by then is refused: reconciliation may already treat it as abandoned. */
  private readonly maxWaitMs: number;
  private idle: (() => void)[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: ClaimGate,
    private readonly loader: CounterLoader,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.windowMs = config.claiming.writerWindowMs;
    this.maxBatch = config.claiming.writerMaxBatch;
    this.concurrency = config.claiming.writerConcurrency;
    this.maxWaitMs = (config.claiming.reconcileGraceS * 1000) / 4;
  }

  write(draft: VoucherDraft): Promise<WrittenVoucher> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, enqueuedAt: performance.now(), resolve, reject });
      if (this.queue.length >= this.maxBatch) this.drain();
      else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.drain();
        }, this.windowMs);
      }
    });
  }

  /** Resolves when nothing is queued or being written. */
  settled(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.drain();
    await this.settled();
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.concurrency) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        if (this.queue.length > 0) this.drain();
        else if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
      });
    }
  }

  private async flush(batch: Queued[]): Promise<void> {
    const now = performance.now();
    const live: Queued[] = [];
    for (const q of batch) {
      if (now - q.enqueuedAt > this.maxWaitMs) {
        q.reject(new ClaimingException('UNAVAILABLE', 'The claim could not be recorded in time; try again'));
      } else live.push(q);
    }
    if (live.length === 0) return;
    for (const q of live) queueSeconds.observe((now - q.enqueuedAt) / 1000);
    insertRows.observe(live.length);
    live.sort(
      (a, b) =>
        a.draft.batchId - b.draft.batchId ||
        a.draft.citizenId - b.draft.citizenId ||
        a.draft.slot - b.draft.slot,
    );
    try {
      const started = performance.now();
      const written = await this.insertWithRetry(live.map((q) => q.draft));
      insertSeconds.observe((performance.now() - started) / 1000);
      inserts.inc({ outcome: 'ok' });
      this.settle(live, written);
    } catch (e) {
      inserts.inc({ outcome: 'refused' });
      if (live.length === 1 || !rowLevel(e)) {
        for (const q of live) q.reject(e);
        return;
      }
      // One bad row must not fail the others: write them one by one.
      for (const q of live) {
        try {
          this.settle([q], await this.insert([q.draft]));
        } catch (err) {
          q.reject(err);
        }
      }
    }
  }

  private settle(queued: Queued[], written: WrittenVoucher[]): void {
    rowsWritten.inc(written.length);
    const byKey = new Map(written.map((w) => [`${w.batchId}:${w.citizenId}:${w.slot}`, w]));
    const confirmed = new Map<number, string[]>();
    for (const q of queued) {
      const d = q.draft;
      const w = byKey.get(`${d.batchId}:${d.citizenId}:${d.slot}`);
      if (!w) {
        q.reject(new Error('voucher row missing from the insert result'));
        continue;
      }
      q.resolve(w);
      const list = confirmed.get(d.batchId) ?? [];
      list.push(pendingMember(d.citizenId, d.slot, d.round));
      confirmed.set(d.batchId, list);
    }
    for (const [batchId, members] of confirmed) void this.confirm(batchId, members);
  }

  /** Removes committed reservations from the pending set (reconciliation would do it later anyway). */
  private async confirm(batchId: number, members: string[]): Promise<void> {
    try {
      if ((await this.gate.confirm(batchId, members)) === -1) {
        await this.loader.ensureLoaded(batchId);
        await this.gate.confirm(batchId, members);
      }
    } catch (e) {
      this.log.warn(`confirming ${members.length} claim(s) of batch ${batchId}: ${(e as Error).message}`);
    }
  }

  private async insertWithRetry(drafts: VoucherDraft[]): Promise<WrittenVoucher[]> {
    try {
      return await this.insert(drafts);
    } catch (e) {
      // Two writers locking two batches' rows in opposite order: once more, then row by row.
      if (pgErrorOf(e)?.code === '40P01') return this.insert(drafts);
      throw e;
    }
  }

  private async insert(drafts: VoucherDraft[]): Promise<WrittenVoucher[]> {
    const iso = (ms: number) => new Date(ms).toISOString();
    const params = [
      drafts.map((d) => d.batchId),
      drafts.map((d) => d.roundId),
      drafts.map((d) => d.citizenId),
      drafts.map((d) => d.slot),
      drafts.map((d) => iso(d.claimedAtMs)),
      drafts.map((d) => iso(d.validFromMs)),
      drafts.map((d) => iso(d.validUntilMs)),
    ];
    const rooms = new Map<number, { batchId: number; rows: number; borrowed: boolean }>();
    for (const d of drafts) {
      const r = rooms.get(d.roundId) ?? { batchId: d.batchId, rows: 0, borrowed: false };
      r.rows += 1;
      r.borrowed ||= d.borrowed;
      rooms.set(d.roundId, r);
    }
    const needRoom = [...rooms.entries()]
      .filter(([, r]) => r.borrowed)
      .sort(([ra, a], [rb, b]) => a.batchId - b.batchId || ra - rb);
    let rows: { id: number; batch_id: number; citizen_id: number; slot: number }[];
    if (needRoom.length === 0) {
      rows = await this.dataSource.query(INSERT_SQL, params);
    } else {
      rows = await this.dataSource.transaction(async (m) => {
        for (const [roundId, r] of needRoom) {
          await m.query('SELECT claim_round_make_room($1, $2)', [roundId, r.rows]);
        }
        return m.query(INSERT_SQL, params);
      });
    }
    const byKey = new Map(drafts.map((d) => [`${d.batchId}:${d.citizenId}:${d.slot}`, d]));
    return rows.map((row) => {
      const d = byKey.get(`${row.batch_id}:${row.citizen_id}:${row.slot}`) as VoucherDraft;
      return { ...d, id: row.id };
    });
  }
}

/** Errors about some row (a constraint, a deadlock), as opposed to the database being unreachable. */
function rowLevel(e: unknown): boolean {
  const code = pgErrorOf(e)?.code;
  return code !== undefined && (code.startsWith('23') || code.startsWith('40') || code === 'P0001');
}
