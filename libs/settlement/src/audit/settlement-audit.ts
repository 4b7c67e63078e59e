import { DataSource, EntityManager } from 'typeorm';
import { OutboxTopic } from '@jinli/contracts';
import { formatYuan } from '@jinli/platform';
import { outstandingClawbacks } from '../payouts/clawbacks';
import { queryRows } from '../sql';

/**
 * `violation`: an invariant is broken (the audit fails). `warning`: something finance must look at,
 * though nothing is wrong with the books (the audit reports it and still passes).
 */
export type AuditSeverity = 'violation' | 'warning';

/** One invariant of the money trail, checked against PostgreSQL. Returns problems (empty: holds). */
export interface SettlementAuditCheck {
  /** `settlement.<invariant>`, as `npm run audit` lists it. */
  name: string;
  description: string;
  severity: AuditSeverity;
  /**
   * `funderIds`: only money of these funders (null: everything). Bound as $1 (int[]). `now`: the
   * instant ages are measured to.
   */
  run(m: EntityManager, funderIds: number[] | null, now: Date): Promise<string[]>;
}

/** `$1` holds the funders in scope, or NULL for all. */
const IN_SCOPE = (column: string) => `($1::int[] IS NULL OR ${column} = ANY($1::int[]))`;

export interface SettlementAuditResult {
  name: string;
  description: string;
  severity: AuditSeverity;
  /** No problem found (a warning with problems is not ok, yet does not fail the audit). */
  ok: boolean;
  problems: string[];
}

/** Problems listed per check, at most. */
const SHOW = 20;

async function list(m: EntityManager, sql: string, params: unknown[]): Promise<string[]> {
  const rows = await queryRows<{ problem: string }>(m, `${sql} LIMIT ${SHOW}`, params);
  return rows.map((r) => r.problem);
}

const ledgerBalanced: SettlementAuditCheck = {
  name: 'settlement.ledger_balanced',
  description: 'Every journal sums to zero (debits positive, credits negative), so the whole ledger does.',
  severity: 'violation',
  async run(m, funderIds) {
    const problems = await list(
      m,
      `SELECT format('journal %s (%s %s %s) sums to %s', j.id, j.kind, j.ref_type, j.ref_id, x.total) AS problem
         FROM (SELECT journal_id, sum(amount_fen) AS total FROM ledger_entry
                WHERE ($1::int[] IS NULL OR journal_id IN (SELECT journal_id FROM ledger_entry WHERE funder_id = ANY($1::int[])))
                GROUP BY journal_id HAVING sum(amount_fen) <> 0) x
         JOIN ledger_journal j ON j.id = x.journal_id ORDER BY j.id`,
      [funderIds],
    );
    const [all] = await queryRows<{ total: string }>(
      m,
      `SELECT COALESCE(sum(amount_fen), 0)::text AS total FROM ledger_entry WHERE ${IN_SCOPE('funder_id')}`,
      [funderIds],
    );
    if (all.total !== '0') problems.push(`the ledger sums to ${all.total}, not 0`);
    return problems;
  },
};

const ledgerMatchesStatements: SettlementAuditCheck = {
  name: 'settlement.ledger_matches_statements',
  description:
    'Per funder and merchant: funder_payable holds the approved, unpaid statements; bank holds the paid ones; every approved or paid statement has its payable journal.',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `WITH st AS (
         SELECT funder_id, merchant_id,
                sum(total_fen) FILTER (WHERE status = 'approved') AS approved,
                sum(total_fen) FILTER (WHERE status = 'paid') AS paid
           FROM settlement_statement WHERE status IN ('approved', 'paid') AND ${IN_SCOPE('funder_id')} GROUP BY 1, 2),
       le AS (
         SELECT funder_id, merchant_id,
                sum(amount_fen) FILTER (WHERE account = 'funder_payable') AS payable,
                sum(amount_fen) FILTER (WHERE account = 'bank') AS bank
           FROM ledger_entry WHERE account IN ('funder_payable', 'bank') AND ${IN_SCOPE('funder_id')} GROUP BY 1, 2)
       SELECT format('funder %s merchant %s: approved unpaid %s vs payable %s, paid %s vs bank %s',
                     COALESCE(st.funder_id, le.funder_id), COALESCE(st.merchant_id, le.merchant_id),
                     COALESCE(st.approved, 0), -COALESCE(le.payable, 0), COALESCE(st.paid, 0), -COALESCE(le.bank, 0)) AS problem
         FROM st FULL JOIN le ON le.funder_id = st.funder_id AND le.merchant_id = st.merchant_id
        WHERE COALESCE(st.approved, 0) <> -COALESCE(le.payable, 0) OR COALESCE(st.paid, 0) <> -COALESCE(le.bank, 0)
       UNION ALL
       SELECT format('statement %s is %s but has no payable journal', s.id, s.status)
         FROM settlement_statement s
        WHERE s.status IN ('approved', 'paid') AND ${IN_SCOPE('s.funder_id')}
          AND NOT EXISTS (SELECT 1 FROM ledger_journal j
                           WHERE j.kind = 'statement_payable' AND j.ref_type = 'statement' AND j.ref_id = s.id)`,
      [funderIds],
    );
  },
};

const statementTotals: SettlementAuditCheck = {
  name: 'settlement.statement_totals_match_lines',
  description: 'Each statement total and line count equal the sum and count of its lines.',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `SELECT format('statement %s: total %s, lines sum to %s; line_count %s, %s lines', s.id, s.total_fen,
                     COALESCE(l.total, 0), s.line_count, COALESCE(l.n, 0)) AS problem
         FROM settlement_statement s
         LEFT JOIN (SELECT statement_id, sum(amount_fen) AS total, count(*) AS n FROM statement_line GROUP BY 1) l
           ON l.statement_id = s.id
        WHERE (s.total_fen <> COALESCE(l.total, 0) OR s.line_count <> COALESCE(l.n, 0)) AND ${IN_SCOPE('s.funder_id')}
        ORDER BY s.id`,
      [funderIds],
    );
  },
};

const partsSettledOnce: SettlementAuditCheck = {
  name: 'settlement.parts_settled_once',
  description:
    'A redemption part is on at most one live line, of a statement of its own merchant, funder and day, for its own amount; lines of rejected or released statements are released; no line references a missing statement, part or reversal.',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `SELECT format('part %s is on %s live lines', l.redemption_part_id, count(*)) AS problem
         FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
        WHERE l.kind = 'part' AND NOT l.released AND ${IN_SCOPE('s.funder_id')}
        GROUP BY l.redemption_part_id HAVING count(*) > 1
       UNION ALL
       SELECT format('line %s of statement %s does not match part %s (merchant, funder, day or amount)', l.id, s.id, p.id)
         FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
         JOIN redemption_part p ON p.id = l.redemption_part_id
        WHERE l.kind = 'part' AND (s.merchant_id <> p.merchant_id OR s.funder_id <> p.funder_id
              OR s.business_day <> p.business_day OR l.amount_fen <> p.amount_fen) AND ${IN_SCOPE('p.funder_id')}
       UNION ALL
       SELECT format('line %s of %s statement %s is still live', l.id, s.status, s.id)
         FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
        WHERE NOT l.released AND s.status IN ('rejected', 'released') AND ${IN_SCOPE('s.funder_id')}
       UNION ALL
       SELECT format('line %s references a missing %s', l.id,
                     CASE WHEN s.id IS NULL THEN 'statement' WHEN l.kind = 'part' THEN 'part' ELSE 'reversal' END)
         FROM statement_line l
         LEFT JOIN settlement_statement s ON s.id = l.statement_id
         LEFT JOIN redemption_part p ON p.id = l.redemption_part_id
         LEFT JOIN reversal v ON v.id = l.reversal_id
        WHERE (s.id IS NULL OR (l.kind = 'part' AND p.id IS NULL) OR (l.kind = 'reversal' AND v.id IS NULL))
          AND ($1::int[] IS NULL OR s.funder_id = ANY($1::int[]))`,
      [funderIds],
    );
  },
};

const reversalsOnce: SettlementAuditCheck = {
  name: 'settlement.reversals_exactly_once',
  description:
    'A reversal is on at most one live line, for minus its amount, only when its part was settled (approved or paid); the next daily run after both the refund and the approval carried it. (That a reversed redemption has one reversal per part, which settlement relies on, is redemption.reversals_match_status.)',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `WITH settled AS (
         SELECT l.redemption_part_id AS part_id, s.reviewed_at
           FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
          WHERE l.kind = 'part' AND NOT l.released AND s.status IN ('approved', 'paid'))
       SELECT format('reversal %s is on %s live lines', l.reversal_id, count(*)) AS problem
         FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
        WHERE l.kind = 'reversal' AND NOT l.released AND ${IN_SCOPE('s.funder_id')}
        GROUP BY l.reversal_id HAVING count(*) > 1
       UNION ALL
       SELECT format('reversal line %s: part %s was never settled', l.id, v.redemption_part_id)
         FROM statement_line l JOIN reversal v ON v.id = l.reversal_id
        WHERE l.kind = 'reversal' AND NOT l.released AND ${IN_SCOPE('v.funder_id')}
          AND NOT EXISTS (SELECT 1 FROM settled x WHERE x.part_id = v.redemption_part_id)
       UNION ALL
       SELECT format('reversal line %s: amount %s is not minus reversal %s of %s (merchant %s, funder %s)',
                     l.id, l.amount_fen, v.id, v.amount_fen, v.merchant_id, v.funder_id)
         FROM statement_line l JOIN reversal v ON v.id = l.reversal_id JOIN settlement_statement s ON s.id = l.statement_id
        WHERE l.kind = 'reversal' AND ${IN_SCOPE('v.funder_id')}
          AND (l.amount_fen <> -v.amount_fen OR s.merchant_id <> v.merchant_id OR s.funder_id <> v.funder_id)
       UNION ALL
       -- A daily run carries every eligible reversal, unless an earlier run already holds that day's slot.
       SELECT format('reversal %s of settled part %s was missed by daily run %s', v.id, v.redemption_part_id, run.id)
         FROM reversal v JOIN settled x ON x.part_id = v.redemption_part_id
         JOIN LATERAL (SELECT id, to_day FROM settlement_run
                        WHERE kind = 'daily' AND status = 'completed' AND to_day >= v.business_day
                          AND created_at > v.created_at AND created_at > x.reviewed_at
                        ORDER BY id LIMIT 1) run ON true
        WHERE NOT EXISTS (SELECT 1 FROM settlement_statement s2
                           WHERE s2.merchant_id = v.merchant_id AND s2.funder_id = v.funder_id
                             AND s2.business_day = run.to_day
                             AND s2.run_id < run.id)
          AND ${IN_SCOPE('v.funder_id')}
          AND NOT EXISTS (SELECT 1 FROM statement_line l WHERE l.reversal_id = v.id AND l.kind = 'reversal' AND NOT l.released)`,
      [funderIds],
    );
  },
};

const budgetsConsistent: SettlementAuditCheck = {
  name: 'settlement.budgets_consistent',
  description:
    'Per funder: the ledger funder_budget balance plus outbox rows not yet posted equals committed_fen, and lies within the budget. (committed_fen = parts - reversals is redemption.funder_committed_matches_parts.)',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `WITH ledger AS (
         SELECT funder_id, sum(amount_fen) AS amount FROM ledger_entry WHERE account = 'funder_budget' GROUP BY 1),
       pending AS (
         SELECT funder_id, sum(amount) AS amount FROM (
           SELECT (p->>'funderId')::int AS funder_id, (p->>'amountFen')::bigint AS amount
             FROM outbox_event e CROSS JOIN LATERAL jsonb_array_elements(e.payload->'parts') p
            WHERE e.published_at IS NULL AND e.topic = $2
           UNION ALL
           SELECT (p->>'funderId')::int, -(p->>'amountFen')::bigint
             FROM outbox_event e CROSS JOIN LATERAL jsonb_array_elements(e.payload->'reversals') p
            WHERE e.published_at IS NULL AND e.topic = $3) x GROUP BY 1)
       SELECT format('funder %s: committed %s, ledger budget %s + pending %s, budget %s',
                     f.id, f.committed_fen, COALESCE(ledger.amount, 0), COALESCE(pending.amount, 0),
                     f.budget_fen) AS problem
         FROM funder f
         LEFT JOIN ledger ON ledger.funder_id = f.id
         LEFT JOIN pending ON pending.funder_id = f.id
        WHERE ${IN_SCOPE('f.id')}
          AND (f.committed_fen <> COALESCE(ledger.amount, 0) + COALESCE(pending.amount, 0)
           OR COALESCE(ledger.amount, 0) < 0 OR COALESCE(ledger.amount, 0) > f.budget_fen)
        ORDER BY f.id`,
      [funderIds, OutboxTopic.RedemptionCreated, OutboxTopic.RedemptionReversed],
    );
  },
};

const poolPartsSettled: SettlementAuditCheck = {
  name: 'settlement.pool_parts_settled_by_daily_run',
  description:
    'No part of a live redemption stays in the pool (never settled, or put back by a rejected or released statement) once a daily run that started after it was back in the pool has covered its day; parts older than SETTLEMENT_DAILY_WINDOW_DAYS included (the daily run takes them too).',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `WITH pool AS (
         SELECT p.id, p.merchant_id, p.funder_id, p.business_day, GREATEST(r.redeemed_at, back.at) AS since
           FROM redemption_part p
           JOIN redemption r ON r.id = p.redemption_id
           LEFT JOIN LATERAL (SELECT max(s.reviewed_at) AS at
                                FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
                               WHERE l.redemption_part_id = p.id AND l.kind = 'part' AND l.released) back ON true
          WHERE ${IN_SCOPE('p.funder_id')}
            AND NOT EXISTS (SELECT 1 FROM reversal v WHERE v.redemption_part_id = p.id)
            AND NOT EXISTS (SELECT 1 FROM statement_line l
                             WHERE l.redemption_part_id = p.id AND l.kind = 'part' AND NOT l.released))
       SELECT format('part %s (merchant %s, funder %s, day %s) is unsettled: daily run %s (to %s) started after it was in the pool',
                     pool.id, pool.merchant_id, pool.funder_id, pool.business_day, run.id, run.to_day) AS problem
         FROM pool
         JOIN LATERAL (SELECT id, to_day FROM settlement_run
                        WHERE kind = 'daily' AND status = 'completed' AND to_day >= pool.business_day
                          AND created_at > pool.since
                        ORDER BY id LIMIT 1) run ON true
        ORDER BY pool.id`,
      [funderIds],
    );
  },
};

const payoutsMatchStatements: SettlementAuditCheck = {
  name: 'settlement.payouts_match_statements',
  description:
    'An exported payout holds approved statements summing to its total; a paid one holds paid statements summing to what was paid, which plus its failed transfers is its total, and its bank entries equal it; a cancelled one holds no statement.',
  severity: 'violation',
  run(m, funderIds) {
    return list(
      m,
      `WITH st AS (
         SELECT payout_id, sum(total_fen) AS total, count(*) AS n,
                count(*) FILTER (WHERE status = 'approved') AS approved, count(*) FILTER (WHERE status = 'paid') AS paid
           FROM settlement_statement WHERE payout_id IS NOT NULL GROUP BY 1),
       fr AS (SELECT payout_id, sum(amount_fen) AS failed FROM payout_failed_row GROUP BY 1),
       bk AS (SELECT j.ref_id AS payout_id, -sum(e.amount_fen) AS bank
                FROM ledger_journal j JOIN ledger_entry e ON e.journal_id = j.id
               WHERE j.kind = 'payout_paid' AND j.ref_type = 'payout' AND e.account = 'bank' GROUP BY 1)
       SELECT format('payout %s is %s with total %s, paid %s, failed %s: its %s statements (%s approved, %s paid) sum to %s, bank %s',
                     p.id, p.status, p.total_fen, p.paid_fen, COALESCE(fr.failed, 0), COALESCE(st.n, 0),
                     COALESCE(st.approved, 0), COALESCE(st.paid, 0), COALESCE(st.total, 0), COALESCE(bk.bank, 0)) AS problem
         FROM payout p
         LEFT JOIN st ON st.payout_id = p.id LEFT JOIN fr ON fr.payout_id = p.id LEFT JOIN bk ON bk.payout_id = p.id
        WHERE ($1::int[] IS NULL OR p.funder_id = ANY($1::int[])
               OR EXISTS (SELECT 1 FROM settlement_statement s WHERE s.payout_id = p.id AND s.funder_id = ANY($1::int[]))
               OR EXISTS (SELECT 1 FROM payout_failed_row x WHERE x.payout_id = p.id AND x.funder_id = ANY($1::int[])))
          AND CASE p.status
                WHEN 'exported' THEN COALESCE(st.total, 0) <> p.total_fen OR COALESCE(st.paid, 0) > 0
                                     OR fr.failed IS NOT NULL OR bk.bank IS NOT NULL
                WHEN 'paid' THEN COALESCE(st.approved, 0) > 0 OR COALESCE(st.total, 0) <> p.paid_fen
                                 OR p.paid_fen + COALESCE(fr.failed, 0) <> p.total_fen OR COALESCE(bk.bank, 0) <> p.paid_fen
                ELSE st.n IS NOT NULL OR fr.failed IS NOT NULL OR bk.bank IS NOT NULL
              END
        ORDER BY p.id`,
      [funderIds],
    );
  },
};

const clawbacksOutstanding: SettlementAuditCheck = {
  name: 'settlement.outstanding_clawbacks',
  description:
    'Warning: per funder and merchant, approved unpaid statements netting below zero (more clawed back than owed) are carried over until later statements cover them; listed with their age, oldest first, so finance recovers them if the merchant stops trading.',
  severity: 'warning',
  async run(m, funderIds, now) {
    const owed = await outstandingClawbacks(m, { funderIds }, now);
    return owed
      .slice(0, SHOW)
      .map(
        (c) =>
          `funder ${c.funderId} merchant ${c.merchantId}: claw-back of ${formatYuan(-c.netFen)} yuan (${c.netFen} fen) outstanding for ${c.ageDays} day(s), since ${c.since.toISOString()}; statements ${c.statementIds.join(', ')}`,
      );
  },
};

/** The checks settlement adds to `npm run audit`. */
export const SETTLEMENT_AUDIT_CHECKS: SettlementAuditCheck[] = [
  ledgerBalanced,
  ledgerMatchesStatements,
  statementTotals,
  partsSettledOnce,
  reversalsOnce,
  budgetsConsistent,
  poolPartsSettled,
  payoutsMatchStatements,
  clawbacksOutstanding,
];

/** Runs every settlement check in one read-only snapshot, for every funder or only some. */
export async function runSettlementAudit(
  m: EntityManager,
  scope: { funderIds?: number[]; now?: Date } = {},
): Promise<SettlementAuditResult[]> {
  const now = scope.now ?? new Date();
  return m.transaction('REPEATABLE READ', async (t) => {
    await t.query('SET TRANSACTION READ ONLY');
    const results: SettlementAuditResult[] = [];
    for (const check of SETTLEMENT_AUDIT_CHECKS) {
      const problems = await check.run(t, scope.funderIds ?? null, now);
      results.push({
        name: check.name,
        description: check.description,
        severity: check.severity,
        ok: problems.length === 0,
        problems,
      });
    }
    return results;
  });
}

/** What `npm run audit` reports per problem (the shape of scripts/audit's AuditViolation). */
export interface SettlementViolation {
  check: string;
  subject: string;
  message: string;
}

/**
 * The settlement checks in the shape of `npm run audit`'s registry (scripts/audit: `name`,
 * `description`, `run({ dataSource })`), so wiring them is `[...CLAIMING_CHECKS, ...SETTLEMENT_CHECKS]`.
 */
export const SETTLEMENT_CHECKS = SETTLEMENT_AUDIT_CHECKS.map((check) => ({
  name: check.name,
  description: check.description,
  severity: check.severity,
  run: async (ctx: { dataSource: DataSource; now?: Date }): Promise<SettlementViolation[]> => {
    const problems = await ctx.dataSource.transaction('REPEATABLE READ', async (t) => {
      await t.query('SET TRANSACTION READ ONLY');
      return check.run(t, null, ctx.now ?? new Date());
    });
    return problems.map((message) => ({
      check: check.name,
      subject: /^(\w+ \d+(?: merchant \d+)?)/.exec(message)?.[1] ?? 'settlement',
      message,
    }));
  },
}));
