import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Role, StatementStatus } from '@jinli/contracts';
import { Actor, Clock, Fen, TransactionRunner } from '@jinli/platform';
import { LedgerService } from '../ledger/ledger.service';
import { SettlementException } from '../settlement.exception';
import { queryRows } from '../sql';

export interface StatementView {
  id: number;
  runId: number;
  merchantId: number;
  merchantName: string;
  funderId: number;
  funderName: string;
  businessDay: string;
  status: StatementStatus;
  totalFen: Fen;
  lineCount: number;
  reason: string | null;
  startedBy: number | null;
  reviewedBy: number | null;
  reviewedAt: Date | null;
  payoutId: number | null;
  /** Live part lines whose redemption has since been reversed by a refund, and their amount. */
  reversedPartCount: number;
  reversedPartFen: Fen;
  createdAt: Date;
  updatedAt: Date;
}

export interface StatementLineView {
  id: number;
  kind: 'part' | 'reversal';
  amountFen: Fen;
  released: boolean;
  redemptionId: number;
  redemptionPartId: number;
  reversalId: number | null;
  refundId: number | null;
  orderAmountFen: Fen;
  redeemedAt: Date;
  /** The refund this reversal line claws back (reversal lines only). */
  refundedAt: Date | null;
  /** The redemption's status now: a part line may have been refunded since it was settled. */
  redemptionStatus: 'active' | 'reversed';
  /** When the redemption was reversed (the reversing refund's time), null while it is active. */
  reversedSince: Date | null;
  reversingRefundId: number | null;
}

export interface StatementFilter {
  status?: StatementStatus;
  businessDay?: string;
  fromDay?: string;
  toDay?: string;
  merchantId?: number;
  funderId?: number;
  runId?: number;
  payoutId?: number;
  limit?: number;
  offset?: number;
}

/** Review decisions: what each allows from, and what it does to the lines. */
const DECISIONS = {
  approve: { from: ['pending_review', 'held'], to: 'approved', releasesLines: false, needsReason: false },
  reject: { from: ['pending_review'], to: 'rejected', releasesLines: true, needsReason: true },
  hold: { from: ['pending_review'], to: 'held', releasesLines: false, needsReason: true },
  release: { from: ['held'], to: 'released', releasesLines: true, needsReason: false },
} as const satisfies Record<
  string,
  { from: StatementStatus[]; to: StatementStatus; releasesLines: boolean; needsReason: boolean }
>;
export type StatementDecision = keyof typeof DECISIONS;

const VIEW_SQL = `
  SELECT s.id, s.run_id AS "runId", s.merchant_id AS "merchantId", m.name AS "merchantName",
         s.funder_id AS "funderId", f.name AS "funderName", s.business_day AS "businessDay", s.status,
         s.total_fen AS "totalFen", s.line_count AS "lineCount", s.reason, s.started_by AS "startedBy",
         s.reviewed_by AS "reviewedBy", s.reviewed_at AS "reviewedAt", s.payout_id AS "payoutId",
         rv.n AS "reversedPartCount", rv.fen AS "reversedPartFen",
         s.created_at AS "createdAt", s.updated_at AS "updatedAt"
    FROM settlement_statement s
    JOIN merchant m ON m.id = s.merchant_id
    JOIN funder f ON f.id = s.funder_id
    -- Reversals are few: found from the merchant's reversals since the statement's day, then its lines.
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS n, COALESCE(sum(v.amount_fen), 0)::bigint AS fen
        FROM reversal v
        JOIN statement_line l ON l.redemption_part_id = v.redemption_part_id AND l.kind = 'part' AND NOT l.released
       WHERE v.merchant_id = s.merchant_id AND v.funder_id = s.funder_id AND v.business_day >= s.business_day
         AND l.statement_id = s.id) rv`;

/**
 * Statements: finance reviews them (approve / reject / hold / release), never edits amounts.
 * Four eyes: whoever started a run does not decide on its statements (ck_statement_four_eyes).
 * Every decision is audited in the same transaction; approval posts the payable to the ledger;
 * rejection and release put the lines back in the pool for a later run.
 */
@Injectable()
export class StatementService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
  ) {}

  approve(actor: Actor, ids: number[], note?: string): Promise<StatementView[]> {
    return this.decide(actor, 'approve', ids, undefined, note);
  }

  reject(actor: Actor, id: number, reason: string): Promise<StatementView> {
    return this.decide(actor, 'reject', [id], reason).then((r) => r[0]);
  }

  hold(actor: Actor, id: number, reason: string): Promise<StatementView> {
    return this.decide(actor, 'hold', [id], reason).then((r) => r[0]);
  }

  release(actor: Actor, id: number, reason?: string): Promise<StatementView> {
    return this.decide(actor, 'release', [id], reason).then((r) => r[0]);
  }

  /** One decision on one or many statements, all or nothing. */
  async decide(
    actor: Actor,
    decision: StatementDecision,
    ids: number[],
    reason?: string,
    note?: string,
  ): Promise<StatementView[]> {
    const rule = DECISIONS[decision];
    const trimmed = reason?.trim() || undefined;
    if (rule.needsReason && !trimmed)
      throw new SettlementException(
        'STATEMENT_REASON_REQUIRED',
        `A reason is required to ${decision} a statement`,
      );
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    return this.tx.run(async (m) => {
      const rows = await queryRows<{ id: number; status: StatementStatus; startedBy: number | null }>(
        m,
        `SELECT id, status, started_by AS "startedBy" FROM settlement_statement
          WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
        [unique],
      );
      const missing = unique.filter((id) => !rows.some((r) => r.id === id));
      if (missing.length)
        throw new SettlementException('STATEMENT_NOT_FOUND', `Statement(s) ${missing.join(', ')} not found`, {
          ids: missing,
        });
      const wrong = rows.filter((r) => !(rule.from as readonly string[]).includes(r.status));
      if (wrong.length)
        throw new SettlementException(
          'STATEMENT_INVALID_TRANSITION',
          `Cannot ${decision} a statement that is ${wrong[0].status} (allowed from: ${rule.from.join(', ')})`,
          { statements: wrong.map((r) => ({ id: r.id, status: r.status })) },
        );
      const own = rows.filter((r) => r.startedBy === actor.id);
      if (own.length)
        throw new SettlementException(
          'STATEMENT_FOUR_EYES',
          'Four eyes: a statement is reviewed by someone other than the person who started its settlement run',
          { ids: own.map((r) => r.id) },
        );
      const now = this.clock.now();
      await m.query(
        `UPDATE settlement_statement
            SET status = $2, reviewed_by = $3, reviewed_at = $4, updated_at = $4,
                reason = COALESCE($5, reason)
          WHERE id = ANY($1::bigint[])`,
        [unique, rule.to, actor.id, now, trimmed ?? null],
      );
      if (rule.releasesLines)
        await m.query(
          `UPDATE statement_line SET released = true WHERE statement_id = ANY($1::bigint[]) AND NOT released`,
          [unique],
        );
      if (decision === 'approve') await this.ledger.postPayable(m, unique, now);
      await auditStatements(m, actor, `statement.${decision}`, unique, now, {
        from: Object.fromEntries(rows.map((r) => [r.id, r.status])),
        to: rule.to,
        reason: trimmed ?? null,
        ...(note ? { note } : {}),
      });
      return this.views(m, unique);
    });
  }

  async list(actor: Actor, filter: StatementFilter): Promise<{ items: StatementView[]; total: number }> {
    const merchantId = actor.role === Role.MerchantOwner ? actor.merchantId : filter.merchantId;
    const where = `WHERE ($1::text IS NULL OR s.status = $1) AND ($2::date IS NULL OR s.business_day = $2)
        AND ($3::date IS NULL OR s.business_day >= $3) AND ($4::date IS NULL OR s.business_day <= $4)
        AND ($5::int IS NULL OR s.merchant_id = $5) AND ($6::int IS NULL OR s.funder_id = $6)
        AND ($7::bigint IS NULL OR s.run_id = $7) AND ($8::bigint IS NULL OR s.payout_id = $8)`;
    const params = [
      filter.status ?? null,
      filter.businessDay ?? null,
      filter.fromDay ?? null,
      filter.toDay ?? null,
      merchantId ?? null,
      filter.funderId ?? null,
      filter.runId ?? null,
      filter.payoutId ?? null,
    ];
    const m = this.tx.dataSource.manager;
    const items = await queryRows<StatementView>(
      m,
      `${VIEW_SQL} ${where} ORDER BY s.business_day DESC, s.id DESC LIMIT $9 OFFSET $10`,
      [...params, filter.limit ?? 100, filter.offset ?? 0],
    );
    const [count] = await queryRows<{ n: number; totalFen: number }>(
      m,
      `SELECT count(*)::int AS n, COALESCE(sum(s.total_fen), 0)::bigint AS "totalFen" FROM settlement_statement s ${where}`,
      params,
    );
    return { items, total: count.n };
  }

  async get(actor: Actor, id: number): Promise<StatementView> {
    const [view] = await this.views(this.tx.dataSource.manager, [id]);
    if (!view || (actor.role === Role.MerchantOwner && view.merchantId !== actor.merchantId))
      throw new SettlementException('STATEMENT_NOT_FOUND', `Statement ${id} was not found`);
    return view;
  }

  async lines(
    actor: Actor,
    id: number,
    options: { limit?: number; offset?: number } = {},
  ): Promise<{ items: StatementLineView[]; total: number }> {
    const statement = await this.get(actor, id);
    const items = await queryRows<StatementLineView>(
      this.tx.dataSource.manager,
      `SELECT l.id, l.kind, l.amount_fen AS "amountFen", l.released,
              p.redemption_id AS "redemptionId", p.id AS "redemptionPartId", l.reversal_id AS "reversalId",
              v.refund_id AS "refundId", r.order_amount_fen AS "orderAmountFen", r.redeemed_at AS "redeemedAt",
              f.refunded_at AS "refundedAt", r.status AS "redemptionStatus",
              CASE WHEN r.status = 'reversed' THEN COALESCE(pf.refunded_at, r.reversed_at) END AS "reversedSince",
              pv.refund_id AS "reversingRefundId"
         FROM statement_line l
         LEFT JOIN reversal v ON v.id = l.reversal_id
         JOIN redemption_part p ON p.id = COALESCE(l.redemption_part_id, v.redemption_part_id)
         JOIN redemption r ON r.id = p.redemption_id
         LEFT JOIN refund f ON f.id = v.refund_id
         LEFT JOIN reversal pv ON pv.redemption_part_id = p.id
         LEFT JOIN refund pf ON pf.id = pv.refund_id
        WHERE l.statement_id = $1 ORDER BY l.id LIMIT $2 OFFSET $3`,
      [id, options.limit ?? 200, options.offset ?? 0],
    );
    return { items, total: statement.lineCount };
  }

  private views(m: EntityManager, ids: number[]): Promise<StatementView[]> {
    return queryRows<StatementView>(m, `${VIEW_SQL} WHERE s.id = ANY($1::bigint[]) ORDER BY s.id`, [ids]);
  }
}

/** One audit row per statement, written set-based in the decision's transaction. */
export async function auditStatements(
  m: EntityManager,
  actor: Actor | null,
  action: string,
  ids: number[],
  at: Date,
  details: Record<string, unknown>,
): Promise<void> {
  // `from`: the status each statement left, or one status for all of them.
  const given = details.from ?? {};
  const from = typeof given === 'string' ? Object.fromEntries(ids.map((id) => [id, given])) : given;
  const { from: _from, ...rest } = details;
  await m.query(
    `INSERT INTO audit_log (at, actor_role, actor_id, action, entity_type, entity_id, outcome, details)
     SELECT $1, $2, $3, $4, 'settlement_statement', s.id::text, 'ok',
            $5::jsonb || jsonb_build_object('from', ($6::jsonb)->>(s.id::text), 'totalFen', s.total_fen,
              'merchantId', s.merchant_id, 'funderId', s.funder_id, 'businessDay', s.business_day)
       FROM settlement_statement s WHERE s.id = ANY($7::bigint[])`,
    [at, actor?.role ?? null, actor?.id ?? null, action, JSON.stringify(rest), JSON.stringify(from), ids],
  );
}
