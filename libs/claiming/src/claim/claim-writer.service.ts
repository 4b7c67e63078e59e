import { performance } from 'node:perf_hooks';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, APP_CONFIG, counter, histogram, pgErrorOf } from '@jinli/platform';
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
}

export interface WrittenVoucher extends VoucherDraft {
  id: number;
}

interface Queued {
  draft: VoucherDraft;
  enqueuedAt: number;
  /** When the claim started (performance.now(), before its reservation): its age is counted from here. */
  startedAt: number;
  resolve: (v: WrittenVoucher) => void;
  reject: (e: unknown) => void;
}

/**
 * The writer could not learn whether a row committed (its connection broke and the database could
 * not be asked in time). Its reservation must stay pending: reconciliation confirms or returns it.
 */
export class ClaimOutcomeUnknown extends Error {}

/** The connection broke after the statement was sent: its rows may or may not have committed. */
class WriteInterrupted extends Error {
  constructor(
    readonly error: unknown,
    /** The PostgreSQL backend that ran the statement. */
    readonly backendPid: number | null,
  ) {
    super(`voucher insert interrupted: ${(error as Error).message}`);
  }
}

/** How long a request waits to learn what became of an interrupted insert. */
const RESOLVE_WITHIN_MS = 5_000;
const RESOLVE_POLL_MS = 50;

const epochMs = (column: string) => `'epoch'::timestamptz + ${column} * interval '1 millisecond'`;

// Times travel as epoch milliseconds: numbers format faster than ISO strings, and integer
// arithmetic in PostgreSQL turns them into exactly the same instants.
const INSERT_SQL = `
  INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
  SELECT b, r, c, s, ${epochMs('ca')}, ${epochMs('vf')}, ${epochMs('vu')}
    FROM unnest($1::int[], $2::int[], $3::int[], $4::smallint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u(b, r, c, s, ca, vf, vu)
  RETURNING id, batch_id, citizen_id, slot`;

const LOOKUP_SQL = `
  SELECT id, batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until FROM voucher
   WHERE (batch_id, citizen_id, slot) IN (SELECT * FROM unnest($1::int[], $2::int[], $3::smallint[]))`;

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
 * When the connection breaks after the statement was sent (its outcome is unknown), the rows are
 * looked up once that backend is done: found rows are answered as written, missing ones as failed.
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
  /**
   * A claim older than this (counted from before its reservation) is not written: its statement
   * could not be sure to end (statement_timeout) well inside reconciliation's grace, after which a
   * reservation without a row is returned. Checked before the multi-row insert and before each
   * row-by-row retry, so every row commits, if at all, long before reconciliation may release it.
   */
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

  /** `startedAt`: when the claim started (performance.now()), before it reserved its slot. */
  write(draft: VoucherDraft, startedAt = performance.now()): Promise<WrittenVoucher> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, enqueuedAt: performance.now(), startedAt, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.drain();
      else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.drain();
        }, this.windowMs);
      }
    });
  }

  /**
   * Opens the writer's connections before the first claim and has each backend run the voucher
   * insert once with no rows, so the first wave of a round does not pay for connecting, planning
   * and compiling the trigger. The pool keeps that many connections open (`min` in the data source
   * options). Best effort: a failure is logged and claims connect on demand as before.
   */
  async warm(): Promise<void> {
    const runners = Array.from({ length: this.concurrency }, () =>
      this.dataSource.createQueryRunner('master'),
    );
    try {
      await Promise.all(
        runners.map(async (runner) => {
          await runner.connect();
          // The real insert of no rows: it plans the statement and runs the statement-level trigger
          // that counts issued vouchers (compiling it in this backend) without changing anything.
          await runner.query(INSERT_SQL, [[], [], [], [], [], [], []]);
        }),
      );
    } catch (e) {
      this.log.warn(`warming the claim writer's connections: ${(e as Error).message}`);
    } finally {
      await Promise.all(runners.map((r) => r.release()));
    }
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
      if (!this.refuseIfTooOld(q, now)) live.push(q);
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
      if (e instanceof WriteInterrupted) {
        inserts.inc({ outcome: 'interrupted' });
        await this.settleInterrupted(live, e);
        return;
      }
      inserts.inc({ outcome: 'refused' });
      if (live.length === 1 || !rowLevel(e)) {
        for (const q of live) q.reject(e);
        return;
      }
      // One bad row must not fail the others: write them one by one.
      for (const q of live) {
        if (this.refuseIfTooOld(q, performance.now())) continue;
        try {
          this.settle([q], await this.insert([q.draft]));
        } catch (err) {
          if (err instanceof WriteInterrupted) await this.settleInterrupted([q], err);
          else q.reject(err);
        }
      }
    }
  }

  private refuseIfTooOld(q: Queued, now: number): boolean {
    if (now - q.startedAt <= this.maxWaitMs) return false;
    q.reject(new ClaimingException('UNAVAILABLE', 'The claim could not be recorded in time; try again'));
    return true;
  }

  /**
   * The insert's connection broke after the statement was sent: the rows may have committed. Once
   * the backend that ran it is done, a row that exists is answered as written (and its reservation
   * confirmed); a missing row fails with the original error (its reservation is released). When
   * that cannot be learned in time, the outcome stays unknown and the reservation pending.
   */
  private async settleInterrupted(queued: Queued[], e: WriteInterrupted): Promise<void> {
    const found = await this.lookUp(
      queued.map((q) => q.draft),
      e.backendPid,
    );
    if (found === null) {
      this.log.error(`outcome of ${queued.length} claim(s) unknown: ${e.message}`);
      for (const q of queued) {
        q.reject(new ClaimOutcomeUnknown(`outcome of the voucher insert unknown: ${e.message}`));
      }
      return;
    }
    const key = (d: VoucherDraft) => `${d.batchId}:${d.citizenId}:${d.slot}`;
    const present = queued.filter((q) => found.has(key(q.draft)));
    this.log.warn(
      `voucher insert interrupted (${e.message}): ${present.length} of ${queued.length} row(s) had committed`,
    );
    if (present.length) {
      this.settle(
        present,
        present.map((q) => found.get(key(q.draft)) as WrittenVoucher),
      );
    }
    for (const q of queued) if (!found.has(key(q.draft))) q.reject(e.error);
  }

  /**
   * Waits until the backend of an interrupted insert is done (gone, idle, or its transaction
   * aborted), so its rows can no longer commit after we looked, then looks them up. Null when that
   * is not known within RESOLVE_WITHIN_MS (the database unreachable, the backend still busy).
   */
  private async lookUp(
    drafts: VoucherDraft[],
    backendPid: number | null,
  ): Promise<Map<string, WrittenVoucher> | null> {
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const attempts = async (): Promise<Map<string, WrittenVoucher> | null> => {
      while (!gaveUp) {
        try {
          if (backendPid === null || (await this.backendDone(backendPid))) return await this.findRows(drafts);
        } catch (err) {
          this.log.warn(`looking up interrupted claims: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, RESOLVE_POLL_MS));
      }
      return null;
    };
    // Bounded even when a query hangs (an unreachable database: connecting has no timeout).
    const deadline = new Promise<null>((r) => {
      timer = setTimeout(() => {
        gaveUp = true;
        r(null);
      }, RESOLVE_WITHIN_MS);
    });
    try {
      return await Promise.race([attempts(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async backendDone(pid: number): Promise<boolean> {
    const [a] = (await this.dataSource.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid])) as {
      state: string | null;
    }[];
    // 'idle in transaction' is not done: a COMMIT may still be on its way to it.
    return !a || a.state === 'idle' || a.state === 'idle in transaction (aborted)';
  }

  private async findRows(drafts: VoucherDraft[]): Promise<Map<string, WrittenVoucher>> {
    const rows = (await this.dataSource.query(LOOKUP_SQL, [
      drafts.map((d) => d.batchId),
      drafts.map((d) => d.citizenId),
      drafts.map((d) => d.slot),
    ])) as {
      id: number;
      batch_id: number;
      round_id: number;
      citizen_id: number;
      slot: number;
      claimed_at: Date;
      valid_from: Date;
      valid_until: Date;
    }[];
    const byKey = new Map(drafts.map((d) => [`${d.batchId}:${d.citizenId}:${d.slot}`, d]));
    const found = new Map<string, WrittenVoucher>();
    for (const row of rows) {
      const key = `${row.batch_id}:${row.citizen_id}:${row.slot}`;
      const d = byKey.get(key) as VoucherDraft;
      // The row is the truth (an earlier attempt for the same slot may have written it).
      found.set(key, {
        ...d,
        id: row.id,
        roundId: row.round_id,
        claimedAtMs: row.claimed_at.getTime(),
        validFromMs: row.valid_from.getTime(),
        validUntilMs: row.valid_until.getTime(),
      });
    }
    return found;
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
    const params = [
      drafts.map((d) => d.batchId),
      drafts.map((d) => d.roundId),
      drafts.map((d) => d.citizenId),
      drafts.map((d) => d.slot),
      drafts.map((d) => d.claimedAtMs),
      drafts.map((d) => d.validFromMs),
      drafts.map((d) => d.validUntilMs),
    ];
    // One statement, its own transaction. A roll-over batch's round that goes past its own quota
    // borrows what other rounds left in the counting trigger (claim_round_make_room), under the
    // batch row's lock and from the committed counts, so concurrent inserts may commit in any order.
    let rows: { id: number; batch_id: number; citizen_id: number; slot: number }[];
    const runner = this.dataSource.createQueryRunner('master');
    try {
      // Nothing is sent before the connection is ours: failing to get one is a plain failure.
      const connection = (await runner.connect()) as { processID?: number };
      try {
        rows = await runner.query(INSERT_SQL, params);
      } catch (e) {
        if (outcomeUnknown(e)) throw new WriteInterrupted(e, connection.processID ?? null);
        throw e;
      }
    } finally {
      await runner.release();
    }
    const byKey = new Map(drafts.map((d) => [`${d.batchId}:${d.citizenId}:${d.slot}`, d]));
    return rows.map((row) => {
      const d = byKey.get(`${row.batch_id}:${row.citizen_id}:${row.slot}`) as VoucherDraft;
      return { ...d, id: row.id };
    });
  }
}

/**
 * The statement was sent and no definite answer came back: the connection broke (no SQLSTATE, or
 * a connection exception), the backend was terminated or crashed (57P01-57P03), or failed in a way
 * that may have come after its commit (58xxx, XX000). Any other SQLSTATE is an error raised while
 * the statement ran: its transaction rolled back.
 */
export function outcomeUnknown(e: unknown): boolean {
  const pg = pgErrorOf(e) as { code?: string; severity?: unknown } | undefined;
  // Errors of the server carry a severity; socket errors (EPIPE, ECONNRESET) only look like codes.
  if (!pg?.code || typeof pg.severity !== 'string') return true;
  return ['08', '57P', '58', 'XX'].some((c) => pg.code?.startsWith(c));
}

/** Errors about some row (a constraint, a deadlock), as opposed to the database being unreachable. */
function rowLevel(e: unknown): boolean {
  const code = pgErrorOf(e)?.code;
  return code !== undefined && (code.startsWith('23') || code.startsWith('40') || code === 'P0001');
}
