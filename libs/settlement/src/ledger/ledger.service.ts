import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LedgerAccount, OutboxTopic } from '@jinli/contracts';
import { Fen, TransactionRunner } from '@jinli/platform';

/**
 * The double-entry ledger. Debits are positive, credits negative; every journal sums to zero.
 *
 * | journal kind        | ref        | debit (+)                      | credit (-)                     |
 * | ------------------- | ---------- | ------------------------------ | ------------------------------ |
 * | subsidy_committed   | redemption | funder_budget (funder)         | merchant_receivable (f, m)     |
 * | subsidy_reversed    | refund     | merchant_receivable (f, m)     | funder_budget (funder)         |
 * | statement_payable   | statement  | merchant_receivable (f, m)     | funder_payable (f, m)          |
 * | payout_paid         | payout     | funder_payable (f, m)          | bank (f, m)                    |
 *
 * So funder_budget's debit balance is the funder's committed subsidy (funder.committed_fen),
 * merchant_receivable's credit balance is subsidy owed but not yet on an approved statement,
 * funder_payable's credit balance is approved and unpaid, bank's credit balance is paid out.
 * Journals are unique per (kind, ref_type, ref_id): posting twice posts once.
 */
export const JournalKind = {
  SubsidyCommitted: 'subsidy_committed',
  SubsidyReversed: 'subsidy_reversed',
  StatementPayable: 'statement_payable',
  PayoutPaid: 'payout_paid',
} as const;
export type JournalKind = (typeof JournalKind)[keyof typeof JournalKind];

export interface LedgerBalance {
  account: LedgerAccount;
  funderId: number | null;
  merchantId: number | null;
  /** Debits minus credits. */
  balanceFen: Fen;
}

@Injectable()
export class LedgerService {
  constructor(private readonly tx: TransactionRunner) {}

  /** subsidy_committed for each redemption.created event (one entry pair per funder part). */
  async postCommitted(m: EntityManager, eventIds: number[], now: Date): Promise<void> {
    if (!eventIds.length) return;
    await m.query(
      `WITH ev AS (
         SELECT DISTINCT ON (rid) rid, payload FROM (
           SELECT (e.payload->>'redemptionId')::bigint AS rid, e.payload FROM outbox_event e
            WHERE e.id = ANY($1::bigint[]) AND e.topic = $2) x ORDER BY rid),
       j AS (
         INSERT INTO ledger_journal (kind, ref_type, ref_id, created_at)
         SELECT $3, 'redemption', rid, $4 FROM ev
         ON CONFLICT ON CONSTRAINT uq_ledger_journal_ref DO NOTHING
         RETURNING id, ref_id)
       INSERT INTO ledger_entry (journal_id, account, funder_id, merchant_id, amount_fen)
       SELECT j.id, a.account, (p->>'funderId')::int,
              CASE WHEN a.account = 'funder_budget' THEN NULL ELSE (ev.payload->>'merchantId')::int END,
              a.sign * (p->>'amountFen')::bigint
         FROM j JOIN ev ON ev.rid = j.ref_id
         CROSS JOIN LATERAL jsonb_array_elements(ev.payload->'parts') p
         CROSS JOIN (VALUES ('funder_budget', 1), ('merchant_receivable', -1)) a(account, sign)
        WHERE (p->>'amountFen')::bigint <> 0`,
      [eventIds, OutboxTopic.RedemptionCreated, JournalKind.SubsidyCommitted, now],
    );
  }

  /** subsidy_reversed for each redemption.reversed event (every reversal of the refund). */
  async postReversed(m: EntityManager, eventIds: number[], now: Date): Promise<void> {
    if (!eventIds.length) return;
    await m.query(
      `WITH ev AS (
         SELECT DISTINCT ON (fid) fid, payload FROM (
           SELECT (e.payload->>'refundId')::bigint AS fid, e.payload FROM outbox_event e
            WHERE e.id = ANY($1::bigint[]) AND e.topic = $2) x ORDER BY fid),
       j AS (
         INSERT INTO ledger_journal (kind, ref_type, ref_id, created_at)
         SELECT $3, 'refund', fid, $4 FROM ev
         ON CONFLICT ON CONSTRAINT uq_ledger_journal_ref DO NOTHING
         RETURNING id, ref_id)
       INSERT INTO ledger_entry (journal_id, account, funder_id, merchant_id, amount_fen)
       SELECT j.id, a.account, (p->>'funderId')::int,
              CASE WHEN a.account = 'funder_budget' THEN NULL ELSE (ev.payload->>'merchantId')::int END,
              a.sign * (p->>'amountFen')::bigint
         FROM j JOIN ev ON ev.fid = j.ref_id
         CROSS JOIN LATERAL jsonb_array_elements(ev.payload->'reversals') p
         CROSS JOIN (VALUES ('merchant_receivable', 1), ('funder_budget', -1)) a(account, sign)
        WHERE (p->>'amountFen')::bigint <> 0`,
      [eventIds, OutboxTopic.RedemptionReversed, JournalKind.SubsidyReversed, now],
    );
  }

  /** statement_payable for statements just approved: the total moves from receivable to payable. */
  async postPayable(m: EntityManager, statementIds: number[], now: Date): Promise<void> {
    if (!statementIds.length) return;
    await m.query(
      `WITH s AS (SELECT id, merchant_id, funder_id, total_fen FROM settlement_statement WHERE id = ANY($1::bigint[])),
       j AS (
         INSERT INTO ledger_journal (kind, ref_type, ref_id, created_at)
         SELECT $2, 'statement', id, $3 FROM s
         ON CONFLICT ON CONSTRAINT uq_ledger_journal_ref DO NOTHING
         RETURNING id, ref_id)
       INSERT INTO ledger_entry (journal_id, account, funder_id, merchant_id, amount_fen)
       SELECT j.id, a.account, s.funder_id, s.merchant_id, a.sign * s.total_fen
         FROM j JOIN s ON s.id = j.ref_id
         CROSS JOIN (VALUES ('merchant_receivable', 1), ('funder_payable', -1)) a(account, sign)
        WHERE s.total_fen <> 0`,
      [statementIds, JournalKind.StatementPayable, now],
    );
  }

  /** payout_paid: each funder's payable to each merchant of the payout leaves the bank. */
  async postPaid(m: EntityManager, payoutId: number, now: Date): Promise<void> {
    await m.query(
      `WITH g AS (
         SELECT funder_id, merchant_id, sum(total_fen)::bigint AS amount
           FROM settlement_statement WHERE payout_id = $1 GROUP BY funder_id, merchant_id),
       j AS (
         INSERT INTO ledger_journal (kind, ref_type, ref_id, created_at) VALUES ($2, 'payout', $1, $3)
         ON CONFLICT ON CONSTRAINT uq_ledger_journal_ref DO NOTHING
         RETURNING id)
       INSERT INTO ledger_entry (journal_id, account, funder_id, merchant_id, amount_fen)
       SELECT j.id, a.account, g.funder_id, g.merchant_id, a.sign * g.amount
         FROM j CROSS JOIN g
         CROSS JOIN (VALUES ('funder_payable', 1), ('bank', -1)) a(account, sign)
        WHERE g.amount <> 0`,
      [payoutId, JournalKind.PayoutPaid, now],
    );
  }

  /** Balances per account, optionally per funder and merchant. */
  async balances(
    filter: { account?: LedgerAccount; funderId?: number; merchantId?: number; byMerchant?: boolean } = {},
  ): Promise<LedgerBalance[]> {
    const byMerchant = filter.byMerchant ?? filter.merchantId !== undefined;
    const rows = (await this.tx.dataSource.query(
      `SELECT account, funder_id AS "funderId", ${byMerchant ? 'merchant_id' : 'NULL::int'} AS "merchantId",
              sum(amount_fen)::bigint AS "balanceFen"
         FROM ledger_entry
        WHERE ($1::text IS NULL OR account = $1) AND ($2::int IS NULL OR funder_id = $2)
          AND ($3::int IS NULL OR merchant_id = $3)
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [filter.account ?? null, filter.funderId ?? null, filter.merchantId ?? null],
    )) as LedgerBalance[];
    return rows;
  }
}
