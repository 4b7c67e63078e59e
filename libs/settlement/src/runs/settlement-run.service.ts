import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  Actor,
  addDays,
  APP_CONFIG,
  AppConfig,
  AuditService,
  businessDayOf,
  Clock,
  JobQueue,
  TransactionRunner,
} from '@jinli/platform';
import { SettlementException } from '../settlement.exception';
import { chunkJobId, SettleChunkJob } from '../settlement.jobs';
import { queryRows } from '../sql';
import { ChunkOutcome, SettleChunkService } from './settle-chunk.service';

export interface RunView {
  id: number;
  kind: 'daily' | 'manual';
  fromDay: string;
  toDay: string;
  status: 'running' | 'completed' | 'failed';
  startedBy: number | null;
  chunkCount: number;
  chunksDone: number;
  statementCount: number;
  lineCount: number;
  deferredCount: number;
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

const RUN_COLUMNS = `id, kind, token, from_day AS "fromDay", to_day AS "toDay", status, started_by AS "startedBy",
  chunk_count AS "chunkCount", chunks_done AS "chunksDone", statement_count AS "statementCount",
  line_count AS "lineCount", deferred_count AS "deferredCount", error, created_at AS "createdAt",
  completed_at AS "completedAt"`;

type RunRow = RunView & { token: string };

/** Longest range finance may settle in one run. */
export const MAX_RUN_DAYS = 92;

/**
 * Settlement runs: create one (daily T+1 or finance-started), split it into chunks of merchants and
 * enqueue one job per chunk with a deterministic id. Chunk jobs do the work (SettleChunkService);
 * the last one to commit completes the run.
 */
@Injectable()
export class SettlementRunService {
  private readonly log = new Logger(SettlementRunService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly chunks: SettleChunkService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The business day of now: runs may only cover days that have ended. */
  today(): string {
    return businessDayOf(this.clock.now(), this.config.businessTimeZone);
  }

  /** A run started by finance for a range of ended business days. */
  async start(actor: Actor, range: { fromDay: string; toDay: string }): Promise<RunView> {
    this.checkRange(range.fromDay, range.toDay);
    const run = await this.tx.run(async (m) => {
      const [row] = await queryRows<RunRow>(
        m,
        `INSERT INTO settlement_run (kind, from_day, to_day, started_by, status, created_at)
         VALUES ('manual', $1, $2, $3, 'running', $4) RETURNING ${RUN_COLUMNS}`,
        [range.fromDay, range.toDay, actor.id, this.clock.now()],
      );
      const created = await this.createChunks(m, row);
      await this.audit.record(
        {
          actor,
          action: 'settlement.run.start',
          entityType: 'settlement_run',
          entityId: row.id,
          details: { kind: 'manual', ...range, chunkCount: created.chunkCount },
        },
        m,
      );
      return created;
    });
    await this.enqueuePending(run);
    return view(run);
  }

  /**
   * The T+1 run: the window of `SETTLEMENT_DAILY_WINDOW_DAYS` days ending yesterday, stretched back to
   * the day after the last completed daily run when runs were missed for longer than that (an outage)
   * or failed and were never resumed, so no day is skipped. Days a run covers again are safe: a part
   * already on a statement is not settled twice. Its chunks also take parts of older days put back in the pool by a rejection or a
   * release. One per day (uq_settlement_run_daily): firing twice finds the same run and re-enqueues
   * its unfinished chunks.
   */
  async startDaily(): Promise<RunView> {
    const toDay = addDays(this.today(), -1);
    const run = await this.tx.run(async (m) => {
      const [previous] = await queryRows<{ toDay: string | null }>(
        m,
        `SELECT max(to_day) AS "toDay" FROM settlement_run
          WHERE kind = 'daily' AND status = 'completed' AND to_day < $1`,
        [toDay],
      );
      const windowFrom = addDays(toDay, -(this.config.settlement.dailyWindowDays - 1));
      const afterPrevious = previous?.toDay ? addDays(previous.toDay, 1) : windowFrom;
      const fromDay = afterPrevious < windowFrom ? afterPrevious : windowFrom;
      const [inserted] = await queryRows<RunRow>(
        m,
        `INSERT INTO settlement_run (kind, from_day, to_day, status, created_at)
         VALUES ('daily', $1, $2, 'running', $3)
         ON CONFLICT (to_day) WHERE kind = 'daily' DO NOTHING
         RETURNING ${RUN_COLUMNS}`,
        [fromDay, toDay, this.clock.now()],
      );
      if (!inserted) {
        const [existing] = await queryRows<RunRow>(
          m,
          `SELECT ${RUN_COLUMNS} FROM settlement_run WHERE kind = 'daily' AND to_day = $1`,
          [toDay],
        );
        return existing;
      }
      const created = await this.createChunks(m, inserted);
      await this.audit.record(
        {
          actor: null,
          action: 'settlement.run.start',
          entityType: 'settlement_run',
          entityId: inserted.id,
          details: { kind: 'daily', fromDay, toDay, chunkCount: created.chunkCount },
        },
        m,
      );
      return created;
    });
    if (run.status === 'running') await this.enqueuePending(run);
    return view(run);
  }

  /** Re-enqueues the unfinished chunks of a run (after a chunk failed for good, or Redis lost jobs). */
  async resume(actor: Actor, runId: number): Promise<RunView> {
    const run = await this.tx.run(async (m) => {
      const [row] = await queryRows<RunRow>(
        m,
        `SELECT ${RUN_COLUMNS} FROM settlement_run WHERE id = $1 FOR UPDATE`,
        [runId],
      );
      if (!row) throw new SettlementException('SETTLEMENT_RUN_NOT_FOUND', `Run ${runId} was not found`);
      if (row.status === 'completed')
        throw new SettlementException('SETTLEMENT_RUN_NOT_RESUMABLE', `Run ${runId} is already completed`);
      await m.query(
        `UPDATE settlement_chunk SET status = 'pending', error = NULL WHERE run_id = $1 AND status = 'failed'`,
        [runId],
      );
      await m.query(`UPDATE settlement_run SET status = 'running', error = NULL WHERE id = $1`, [runId]);
      await this.audit.record(
        { actor, action: 'settlement.run.resume', entityType: 'settlement_run', entityId: runId },
        m,
      );
      return { ...row, status: 'running' as const, error: null };
    });
    await this.enqueuePending(run, true);
    return view(run);
  }

  /** Settles one chunk (the chunk job's use case); a job whose token is not its run's is stale. */
  settleChunk(runId: number, seq: number, token?: string): Promise<ChunkOutcome> {
    return this.chunks.settle(runId, seq, token);
  }

  /** Marks a chunk whose job gave up, and its run, failed (finance sees it; resume retries). */
  async markChunkFailed(runId: number, seq: number, error: string): Promise<void> {
    await this.tx.run(async (m) => {
      await m.query(
        `UPDATE settlement_chunk SET status = 'failed', error = $3 WHERE run_id = $1 AND seq = $2 AND status = 'pending'`,
        [runId, seq, error.slice(0, 2000)],
      );
      await m.query(
        `UPDATE settlement_run SET status = 'failed', error = $2 WHERE id = $1 AND status = 'running'`,
        [runId, `chunk ${seq}: ${error}`.slice(0, 2000)],
      );
      await this.audit.record(
        {
          actor: null,
          action: 'settlement.run.chunk_failed',
          entityType: 'settlement_run',
          entityId: runId,
          details: { seq, error: error.slice(0, 500) },
        },
        m,
      );
    });
  }

  /** Settles every unfinished chunk in this process, in order (tests, CLI, benchmarks). */
  async runNow(runId: number): Promise<RunView> {
    const pending = await queryRows<{ seq: number }>(
      this.tx.dataSource.manager,
      `SELECT seq FROM settlement_chunk WHERE run_id = $1 AND status <> 'done' ORDER BY seq`,
      [runId],
    );
    for (const c of pending) await this.chunks.settle(runId, c.seq);
    return this.get(runId);
  }

  async get(runId: number): Promise<RunView> {
    const [row] = await queryRows<RunRow>(
      this.tx.dataSource.manager,
      `SELECT ${RUN_COLUMNS} FROM settlement_run WHERE id = $1`,
      [runId],
    );
    if (!row) throw new SettlementException('SETTLEMENT_RUN_NOT_FOUND', `Run ${runId} was not found`);
    return view(row);
  }

  async list(
    options: { limit?: number; offset?: number } = {},
  ): Promise<{ items: RunView[]; total: number }> {
    const m = this.tx.dataSource.manager;
    const rows = await queryRows<RunRow>(
      m,
      `SELECT ${RUN_COLUMNS} FROM settlement_run ORDER BY id DESC LIMIT $1 OFFSET $2`,
      [options.limit ?? 50, options.offset ?? 0],
    );
    const [count] = await queryRows<{ n: number }>(m, `SELECT count(*)::int AS n FROM settlement_run`);
    return { items: rows.map(view), total: count.n };
  }

  private checkRange(fromDay: string, toDay: string): void {
    const today = this.today();
    if (fromDay > toDay)
      throw new SettlementException('SETTLEMENT_RANGE_INVALID', 'fromDay must not be after toDay', {
        fromDay,
        toDay,
      });
    if (toDay >= today)
      throw new SettlementException(
        'SETTLEMENT_RANGE_INVALID',
        `Only ended business days can be settled: toDay must be before ${today}`,
        { toDay, today },
      );
    if (addDays(fromDay, MAX_RUN_DAYS - 1) < toDay)
      throw new SettlementException(
        'SETTLEMENT_RANGE_INVALID',
        `A run covers at most ${MAX_RUN_DAYS} business days`,
        { fromDay, toDay },
      );
  }

  /**
   * Splits every merchant into chunks of `SETTLEMENT_CHUNK_MERCHANTS` consecutive ids. A run with
   * no merchant completes at once.
   */
  private async createChunks(m: EntityManager, run: RunRow): Promise<RunRow> {
    const inserted = await queryRows<{ seq: number }>(
      m,
      `INSERT INTO settlement_chunk (run_id, seq, merchant_from, merchant_to)
       SELECT $1, g, min(id), max(id)
         FROM (SELECT id, ((row_number() OVER (ORDER BY id)) - 1) / $2 AS g FROM merchant) x
        GROUP BY g
       RETURNING seq`,
      [run.id, this.config.settlement.chunkMerchants],
    );
    await m.query(`UPDATE settlement_run SET chunk_count = $2 WHERE id = $1`, [run.id, inserted.length]);
    if (!inserted.length) {
      await this.chunks.completeRun(m, run.id, this.clock.now());
      return { ...run, chunkCount: 0, status: 'completed', completedAt: this.clock.now() };
    }
    return { ...run, chunkCount: inserted.length };
  }

  private async enqueuePending(run: RunRow, retryFailedJobs = false): Promise<void> {
    const pending = await queryRows<{ seq: number }>(
      this.tx.dataSource.manager,
      `SELECT seq FROM settlement_chunk WHERE run_id = $1 AND status = 'pending' ORDER BY seq`,
      [run.id],
    );
    const queue = this.jobs.queue(SettleChunkJob.queue);
    for (const { seq } of pending) {
      const jobId = chunkJobId(run, seq);
      if (retryFailedJobs) {
        const existing = await queue.getJob(jobId);
        if (existing && (await existing.isFailed())) {
          await existing.retry();
          continue;
        }
      }
      await this.jobs.add(SettleChunkJob, { runId: run.id, seq, token: run.token }, { jobId });
    }
    this.log.log(`run ${run.id}: ${pending.length} chunk jobs enqueued`);
  }
}

function view(row: RunRow): RunView {
  const { token: _token, ...rest } = row;
  return rest;
}
