import { EntityManager } from 'typeorm';
import { Fen } from '@jinli/platform';
import { queryRows } from '../sql';

/**
 * A claw-back still owed: a funder's approved, unpaid statements with a merchant net below zero
 * (more clawed back by refunds than owed), so no payout can include them. They wait for later
 * statements of that merchant to cover them; if the merchant stops trading, finance recovers the
 * money another way. `since`: when the oldest of its negative statements was approved.
 */
export interface OutstandingClawback {
  funderId: number;
  funderName: string;
  merchantId: number;
  merchantName: string;
  netFen: Fen;
  statementIds: number[];
  since: Date;
  /** Whole days from `since` to now. */
  ageDays: number;
}

/** `funderIds`: only these funders (null: all of them). */
export async function outstandingClawbacks(
  m: EntityManager,
  filter: { funderIds?: number[] | null; merchantId?: number | null },
  now: Date,
): Promise<OutstandingClawback[]> {
  const rows = await queryRows<OutstandingClawback>(
    m,
    `SELECT s.funder_id AS "funderId", f.name AS "funderName", s.merchant_id AS "merchantId",
            m.name AS "merchantName", sum(s.total_fen)::bigint AS "netFen",
            array_agg(s.id ORDER BY s.id)::bigint[] AS "statementIds",
            min(s.reviewed_at) FILTER (WHERE s.total_fen < 0) AS since,
            floor(extract(epoch FROM ($3::timestamptz - min(s.reviewed_at) FILTER (WHERE s.total_fen < 0))) / 86400)::int
              AS "ageDays"
       FROM settlement_statement s JOIN funder f ON f.id = s.funder_id JOIN merchant m ON m.id = s.merchant_id
      WHERE s.status = 'approved' AND s.payout_id IS NULL
        AND ($1::int[] IS NULL OR s.funder_id = ANY($1::int[])) AND ($2::int IS NULL OR s.merchant_id = $2)
      GROUP BY s.funder_id, f.name, s.merchant_id, m.name
     HAVING sum(s.total_fen) < 0
      ORDER BY since, s.funder_id, s.merchant_id`,
    [filter.funderIds ?? null, filter.merchantId ?? null, now],
  );
  // pg reads bigint[] as text: ids are far below 2^53.
  return rows.map((r) => ({ ...r, statementIds: r.statementIds.map(Number) }));
}
