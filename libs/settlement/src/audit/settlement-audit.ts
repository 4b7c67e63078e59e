import { DataSource, EntityManager } from 'typeorm';
import { OutboxTopic } from '@jinli/contracts';
import { queryRows } from '../sql';

/** One invariant of the money trail, checked against PostgreSQL. Returns problems (empty: holds). */
export interface SettlementAuditCheck {
  /** `settlement.<invariant>`, as `npm run audit` lists it. */
  name: string;
  description: string;
  /** `funderIds`: only money of these funders (null: everything). Bound as $1 (int[]). */
  run(m: EntityManager, funderIds: number[] | null): Promise<string[]>;
}

/** `$1` holds the funders in scope, or NULL for all. */
const IN_SCOPE = (column: string) => `($1::int[] IS NULL OR ${column} = ANY($1::int[]))`;

export interface SettlementAuditResult {
  name: string;
  description: string;
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

/** The checks settlement adds to `npm run audit`. */
export const SETTLEMENT_AUDIT_CHECKS: SettlementAuditCheck[] = [
  ledgerBalanced,
  ledgerMatchesStatements,
  statementTotals,
  partsSettledOnce,
  reversalsOnce,
  budgetsConsistent,
];

/** Runs every settlement check in one read-only snapshot, for every funder or only some. */
export async function runSettlementAudit(
  m: EntityManager,
  scope: { funderIds?: number[] } = {},
): Promise<SettlementAuditResult[]> {
  return m.transaction('REPEATABLE READ', async (t) => {
    await t.query('SET TRANSACTION READ ONLY');
    const results: SettlementAuditResult[] = [];
    for (const check of SETTLEMENT_AUDIT_CHECKS) {
      const problems = await check.run(t, scope.funderIds ?? null);
      results.push({ name: check.name, description: check.description, ok: problems.length === 0, problems });
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
  run: async (ctx: { dataSource: DataSource }): Promise<SettlementViolation[]> => {
    const problems = await ctx.dataSource.transaction('REPEATABLE READ', async (t) => {
      await t.query('SET TRANSACTION READ ONLY');
      return check.run(t, null);
    });
    return problems.map((message) => ({
      check: check.name,
      subject: /^(\w+ \d+)/.exec(message)?.[1] ?? 'settlement',
      message,
    }));
  },
}));
