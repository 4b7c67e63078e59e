import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { StatementStatus } from '@jinli/contracts';
import { AuditService, Clock, TransactionRunner } from '@jinli/platform';
import { SettlementException } from '../settlement.exception';
import { auditStatements } from '../review/statement.service';
import { queryRows } from '../sql';

/** Test seam: lets a test fail a chunk at a precise point, as a dying worker would. */
@Injectable()
export class SettlementHooks {
  /** Runs inside the chunk transaction, after its statements and lines are written. */
  beforeCommit?: (runId: number, seq: number) => Promise<void> | void;
  /** Runs after the chunk transaction committed, before the job is acknowledged. */
  afterCommit?: (runId: number, seq: number) => Promise<void> | void;
}

export interface ChunkOutcome {
  runId: number;
  seq: number;
  /** The chunk had already committed (a retried or duplicated job): nothing was written. */
  skipped: boolean;
  statements: number;
  lines: number;
  deferred: number;
  runCompleted: boolean;
}

/** Advisory lock namespace of "merchant being settled". */
const MERCHANT_LOCK_NS = 745_102;

/** Statement statuses whose part lines count as settled (a reversal of them must be clawed back). */
export const SETTLED_STATUSES: StatementStatus[] = [StatementStatus.Approved, StatementStatus.Paid];

/**
 * Builds the statements of one chunk of merchants in one transaction, set-based: one INSERT ...
 * SELECT ... GROUP BY for the statements and one for their lines, whatever the volume.
 *
 * The pool, for merchants of the chunk:
 * - a part of an ACTIVE redemption of a business day in the run's range, not on a live line (a
 *   redemption is reversed exactly when its parts have reversals: the redemption context writes one
 *   per part in the refund's transaction, and the audit checks it); for the daily run, also such a
 *   part of an earlier day that a rejected or released statement put back in the pool;
 * - a reversal recorded up to the run's last day, not on a live line, whose part IS on a live line
 *   of an approved or paid statement (money that was or will be paid): a negative line.
 * A reversed redemption's part never settled is left out, and so is its reversal; a reversal of a
 * part still under review waits until that statement is approved (then it is clawed back) or
 * rejected (then neither is ever paid).
 *
 * Lines land on the statement of (merchant, funder, day): a part on its own business day, a reversal
 * on the run's last day (the next statement). A day whose live statement already exists from an
 * earlier run keeps its items in the pool ("deferred") for a later run.
 */
@Injectable()
export class SettleChunkService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly hooks: SettlementHooks,
  ) {}

  async settle(runId: number, seq: number, token?: string): Promise<ChunkOutcome> {
    const outcome = await this.tx.run(async (m) => {
      const [chunk] = (await m.query(
        `SELECT c.status, c.merchant_from AS "merchantFrom", c.merchant_to AS "merchantTo",
                r.from_day AS "fromDay", r.to_day AS "toDay", r.started_by AS "startedBy", r.token, r.kind
           FROM settlement_chunk c JOIN settlement_run r ON r.id = c.run_id
          WHERE c.run_id = $1 AND c.seq = $2
            FOR UPDATE OF c`,
        [runId, seq],
      )) as {
        status: string;
        merchantFrom: number;
        merchantTo: number;
        fromDay: string;
        toDay: string;
        startedBy: number | null;
        token: string;
        kind: 'daily' | 'manual';
      }[];
      const done: ChunkOutcome = {
        runId,
        seq,
        skipped: true,
        statements: 0,
        lines: 0,
        deferred: 0,
        runCompleted: false,
      };
      // A job left over from another database (run ids reused or gone): not this run's work.
      if (token !== undefined && (!chunk || token !== chunk.token)) return done;
      if (!chunk)
        throw new SettlementException(
          'SETTLEMENT_RUN_NOT_FOUND',
          `Chunk ${seq} of run ${runId} was not found`,
        );
      if (chunk.status === 'done') return done;

      // Two runs touching the same merchants take turns; each then sees what the other committed.
      await m.query(
        `SELECT pg_advisory_xact_lock($1, id)
           FROM (SELECT id FROM merchant WHERE id BETWEEN $2 AND $3 ORDER BY id) ids`,
        [MERCHANT_LOCK_NS, chunk.merchantFrom, chunk.merchantTo],
      );
      // The chunk's items are sorted and grouped in memory rather than spilled to disk.
      await m.query(`SET LOCAL work_mem = '64MB'`);
      const now = this.clock.now();
      const [counts] = (await m.query(settleChunkSql('$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8'), [
        runId,
        chunk.merchantFrom,
        chunk.merchantTo,
        chunk.fromDay,
        chunk.toDay,
        chunk.startedBy,
        now,
        chunk.kind === 'daily',
      ])) as { statements: number; lines: number; items: number }[];
      const deferred = counts.items - counts.lines;
      await m.query(
        `UPDATE settlement_chunk
            SET status = 'done', statement_count = $3, line_count = $4, deferred_count = $5,
                completed_at = $6, error = NULL
          WHERE run_id = $1 AND seq = $2`,
        [runId, seq, counts.statements, counts.lines, deferred, now],
      );
      await this.hooks.beforeCommit?.(runId, seq);
      const [progress] = await queryRows<{ chunksDone: number; chunkCount: number }>(
        m,
        `UPDATE settlement_run
            SET chunks_done = chunks_done + 1, statement_count = statement_count + $2,
                line_count = line_count + $3, deferred_count = deferred_count + $4
          WHERE id = $1
          RETURNING chunks_done AS "chunksDone", chunk_count AS "chunkCount"`,
        [runId, counts.statements, counts.lines, deferred],
      );
      const runCompleted = progress.chunksDone === progress.chunkCount;
      if (runCompleted) await this.completeRun(m, runId, now);
      return {
        runId,
        seq,
        skipped: false,
        statements: counts.statements,
        lines: counts.lines,
        deferred,
        runCompleted,
      };
    });
    await this.hooks.afterCommit?.(runId, seq);
    return outcome;
  }

  /** All chunks committed: the run's statements go to review together. */
  async completeRun(m: EntityManager, runId: number, now: Date): Promise<void> {
    const submitted = await queryRows<{ id: number }>(
      m,
      `UPDATE settlement_statement SET status = 'pending_review', updated_at = $2
        WHERE run_id = $1 AND status = 'draft' RETURNING id`,
      [runId, now],
    );
    await auditStatements(
      m,
      null,
      'statement.submit',
      submitted.map((s) => s.id),
      now,
      { from: 'draft', to: 'pending_review', runId },
    );
    const [run] = await queryRows<Record<string, number>>(
      m,
      `UPDATE settlement_run SET status = 'completed', completed_at = $2, error = NULL WHERE id = $1
       RETURNING statement_count AS "statementCount", line_count AS "lineCount", deferred_count AS "deferredCount"`,
      [runId, now],
    );
    await this.audit.record(
      {
        actor: null,
        action: 'settlement.run.complete',
        entityType: 'settlement_run',
        entityId: runId,
        details: { ...run },
      },
      m,
    );
  }
}

/**
 * The chunk's one statement: pool items, then statements grouped by (merchant, funder, day), then
 * their lines. A slot already taken by a live statement yields no row from the statements INSERT
 * (ON CONFLICT DO NOTHING), so its items get no line and stay in the pool. Exported for the
 * benchmark's raw comparison.
 */
export function settleChunkSql(
  run: string,
  merchantFrom: string,
  merchantTo: string,
  fromDay: string,
  toDay: string,
  startedBy: string,
  now: string,
  sweepOlder = 'false',
): string {
  return `
    WITH lined AS (
      -- Parts already on a live line: a part's line sits on a statement of its own merchant and day,
      -- so only this chunk's statements are read (work stays proportional to the chunk).
      SELECT l.redemption_part_id AS part_id
        FROM settlement_statement s JOIN statement_line l ON l.statement_id = s.id
       WHERE s.merchant_id BETWEEN ${merchantFrom} AND ${merchantTo}
         AND s.business_day BETWEEN ${fromDay}::date AND ${toDay}::date
         AND l.kind = 'part' AND NOT l.released
    ),
    items AS (
      -- A part of an active redemption: one with no reversal (a reversing refund writes one for every part).
      SELECT 'part'::text AS kind, p.id AS part_id, NULL::bigint AS reversal_id,
             p.merchant_id, p.funder_id, p.business_day AS day, p.amount_fen AS amount
        FROM redemption_part p
       WHERE p.merchant_id BETWEEN ${merchantFrom} AND ${merchantTo}
         AND p.business_day BETWEEN ${fromDay}::date AND ${toDay}::date
         AND NOT EXISTS (SELECT 1 FROM reversal v
                          WHERE v.redemption_part_id = p.id AND v.merchant_id BETWEEN ${merchantFrom} AND ${merchantTo})
         AND NOT EXISTS (SELECT 1 FROM lined x WHERE x.part_id = p.id)
      UNION ALL
      -- The daily run also takes parts older than its range that a rejection or release put back in the
      -- pool (found from their released lines, so older days are not scanned): each goes on a statement
      -- of its own business day.
      SELECT 'part', p.id, NULL, p.merchant_id, p.funder_id, p.business_day, p.amount_fen
        FROM redemption_part p
       WHERE ${sweepOlder}::boolean
         AND p.id IN (SELECT l.redemption_part_id
                        FROM settlement_statement s JOIN statement_line l ON l.statement_id = s.id
                       WHERE s.merchant_id BETWEEN ${merchantFrom} AND ${merchantTo}
                         AND s.status IN ('rejected', 'released') AND s.business_day < ${fromDay}::date
                         AND l.kind = 'part')
         AND p.business_day < ${fromDay}::date
         AND NOT EXISTS (SELECT 1 FROM reversal v WHERE v.redemption_part_id = p.id)
         AND NOT EXISTS (SELECT 1 FROM statement_line l
                          WHERE l.redemption_part_id = p.id AND l.kind = 'part' AND NOT l.released)
      UNION ALL
      SELECT 'reversal', NULL, v.id, v.merchant_id, v.funder_id, ${toDay}::date, -v.amount_fen
        FROM reversal v
       WHERE v.merchant_id BETWEEN ${merchantFrom} AND ${merchantTo}
         AND v.business_day <= ${toDay}::date
         AND NOT EXISTS (SELECT 1 FROM statement_line l
                          WHERE l.reversal_id = v.id AND l.kind = 'reversal' AND NOT l.released)
         AND EXISTS (SELECT 1 FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
                      WHERE l.redemption_part_id = v.redemption_part_id AND l.kind = 'part'
                        AND NOT l.released AND s.status IN ('approved', 'paid'))
    ),
    stmts AS (
      INSERT INTO settlement_statement
        (run_id, merchant_id, funder_id, business_day, status, total_fen, line_count, started_by, created_at, updated_at)
      SELECT ${run}, merchant_id, funder_id, day, 'draft', sum(amount)::bigint, count(*)::int, ${startedBy}::int,
             ${now}::timestamptz, ${now}::timestamptz
        FROM items GROUP BY merchant_id, funder_id, day
      ON CONFLICT (merchant_id, funder_id, business_day) WHERE status NOT IN ('rejected', 'released') DO NOTHING
      RETURNING id, merchant_id, funder_id, business_day
    ),
    lines AS (
      INSERT INTO statement_line (statement_id, kind, redemption_part_id, reversal_id, amount_fen)
      SELECT s.id, i.kind, i.part_id, i.reversal_id, i.amount
        FROM items i
        JOIN stmts s ON s.merchant_id = i.merchant_id AND s.funder_id = i.funder_id AND s.business_day = i.day
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM stmts)::int AS statements,
           (SELECT count(*) FROM lines)::int AS lines,
           (SELECT count(*) FROM items)::int AS items`;
}
