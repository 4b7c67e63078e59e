import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  OutboxTopic,
  RedemptionAmendedPayload,
  RedemptionReversedPayload,
  RefundPolicy,
  VoucherStatus,
} from '@jinli/contracts';
import {
  Actor,
  AppConfig,
  APP_CONFIG,
  AuditEntry,
  AuditService,
  AuditSink,
  businessDayOf,
  Clock,
  counter,
  Fen,
  IdempotencyService,
  IdempotentResponse,
} from '@jinli/platform';
import { RedemptionException } from '../redemption.exception';
import { RedemptionService } from '../redeem/redemption.service';
import { changed } from '../redeem/sql';

export interface RefundInput {
  /** Amount returned to the customer for goods brought back, in fen. */
  refundAmountFen: Fen;
  /** The store where the refund happens: any store of the redemption's merchant. */
  storeId: number;
  reason?: string;
}

export type VoucherOutcome = 'restored' | 'voided';

export interface RefundView {
  id: number;
  redemptionId: number;
  storeId: number;
  refundAmountFen: Fen;
  orderAmountAfterFen: Fen;
  outcome: 'reversed_restored' | 'reversed_voided' | 'kept';
  /** What happened to the voucher: back in the citizen's wallet, void, or unchanged (null). */
  voucherOutcome: VoucherOutcome | null;
  refundedAt: string;
  businessDay: string;
  redemption: { id: number; status: 'active' | 'reversed'; netOrderAmountFen: Fen };
}

interface RedemptionRow {
  id: number;
  voucher_id: number;
  merchant_id: number;
  store_id: number;
  status: 'active' | 'reversed';
  discount_fen: number;
  net_order_amount_fen: number;
  threshold_fen: number;
  refund_policy: RefundPolicy;
  voucher_status: VoucherStatus;
  valid_until: Date;
}

const refundsTotal = counter('jinli_refunds_total', 'Refunds recorded, by outcome', ['outcome']);

/**
 * Refunds ("线下购物线上退，本地消费异地退"): at any store of the merchant, days later, full or partial.
 * A refund that leaves the order below the threshold (a full refund leaves zero) reverses the
 * redemption: every funder part gets a reversal row (settled or not: settlement decides whether it
 * becomes a negative line), the funders' committed budget goes back (a trigger on reversal, at
 * commit), and the voucher is restored or
 * voided by the batch's refund policy. Otherwise the redemption stays with a smaller net order amount.
 */
@Injectable()
export class RefundService {
  constructor(
    private readonly redemptions: RedemptionService,
    private readonly audit: AuditService,
    private readonly idempotency: IdempotencyService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async refund(
    actor: Actor,
    redemptionId: number,
    input: RefundInput,
    idempotencyKey: string,
  ): Promise<IdempotentResponse<RefundView>> {
    const refusals: AuditEntry[] = [];
    try {
      return await this.idempotency.run(
        {
          scope: `${actor.role}:${actor.id}`,
          key: idempotencyKey,
          fingerprint: { op: 'refund.create', redemptionId, ...input },
        },
        async (m) => ({
          status: 201,
          body: await this.refundIn(m, actor, redemptionId, input, async (e) => void refusals.push(e)),
        }),
      );
    } finally {
      // Refusals are audited once the transaction has given its connection back (see AuditSink).
      await this.redemptions.recordAll(refusals);
    }
  }

  private async refundIn(
    m: EntityManager,
    actor: Actor,
    redemptionId: number,
    input: RefundInput,
    audit: AuditSink,
  ): Promise<RefundView> {
    const ctx = await this.redemptions.authorize(actor, input.storeId, 'refund.create', m, audit);
    const [r] = (await m.query(
      `SELECT r.id, r.voucher_id, r.merchant_id, r.store_id, r.status, r.discount_fen, r.net_order_amount_fen,
              b.threshold_fen, b.refund_policy, v.status AS voucher_status, v.valid_until
         FROM redemption r JOIN voucher_batch b ON b.id = r.batch_id JOIN voucher v ON v.id = r.voucher_id
        WHERE r.id = $1 FOR UPDATE OF r`,
      [redemptionId],
    )) as RedemptionRow[];
    if (!r) throw new RedemptionException('REDEMPTION_NOT_FOUND', `Redemption ${redemptionId} was not found`);
    if (r.merchant_id !== ctx.merchant.id) {
      await audit({
        actor,
        action: 'refund.create',
        entityType: 'redemption',
        entityId: redemptionId,
        outcome: 'denied',
        details: { reason: 'redemption of another merchant', storeId: input.storeId },
      });
      throw new RedemptionException(
        'AUTH_STORE_FORBIDDEN',
        'You can only refund redemptions of your own merchant',
        {
          redemptionId,
        },
      );
    }
    if (r.status !== 'active')
      throw new RedemptionException(
        'REDEMPTION_ALREADY_REVERSED',
        'This redemption has already been reversed',
      );
    if (input.refundAmountFen > r.net_order_amount_fen) {
      throw new RedemptionException(
        'REFUND_EXCEEDS_ORDER',
        `The refund (${input.refundAmountFen} fen) exceeds what is left of the order (${r.net_order_amount_fen} fen)`,
        { netOrderAmountFen: r.net_order_amount_fen },
      );
    }

    const now = this.clock.now();
    const businessDay = businessDayOf(now, this.config.businessTimeZone);
    const after = r.net_order_amount_fen - input.refundAmountFen;
    const reverses = after < r.threshold_fen;
    let voucherOutcome: VoucherOutcome | null = null;
    if (reverses) {
      const fullWithinValidity = after === 0 && now.getTime() < r.valid_until.getTime();
      voucherOutcome = r.refund_policy === 'restore_if_valid' && fullWithinValidity ? 'restored' : 'voided';
    }
    const outcome: RefundView['outcome'] = !reverses
      ? 'kept'
      : voucherOutcome === 'restored'
        ? 'reversed_restored'
        : 'reversed_voided';

    const [refund] = (await m.query(
      `INSERT INTO refund (redemption_id, merchant_id, store_id, cashier_id, refund_amount_fen, order_amount_after_fen,
         outcome, reason, refunded_at, business_day)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        r.id,
        ctx.merchant.id,
        ctx.store.id,
        actor.id,
        input.refundAmountFen,
        after,
        outcome,
        input.reason ?? null,
        now,
        businessDay,
      ],
    )) as { id: number }[];

    if (reverses) {
      await changed(
        m,
        `UPDATE redemption SET status = 'reversed', reversed_at = $2 WHERE id = $1 AND status = 'active'`,
        [r.id, now],
      );
      const reversals = (await m.query(
        `INSERT INTO reversal (redemption_part_id, refund_id, funder_id, merchant_id, business_day, amount_fen, created_at)
         SELECT p.id, $2, p.funder_id, p.merchant_id, $3, p.amount_fen, $4
           FROM redemption_part p WHERE p.redemption_id = $1 ORDER BY p.funder_id
         RETURNING id, redemption_part_id, funder_id, amount_fen`,
        [r.id, refund.id, businessDay, now],
      )) as { id: number; redemption_part_id: number; funder_id: number; amount_fen: number }[];
      reversals.sort((a, b) => a.funder_id - b.funder_id);
      const voucherMoved = await changed(
        m,
        `UPDATE voucher SET status = $2, status_changed_at = $3 WHERE id = $1 AND status = 'redeemed' RETURNING id`,
        [r.voucher_id, voucherOutcome === 'restored' ? 'claimed' : 'void', now],
      );
      if (voucherMoved.length === 0)
        throw new Error(
          `voucher ${r.voucher_id} of live redemption ${r.id} is ${r.voucher_status}, not redeemed`,
        );
      const payload: RedemptionReversedPayload = {
        redemptionId: r.id,
        refundId: refund.id,
        merchantId: r.merchant_id,
        refundAmountFen: input.refundAmountFen,
        netOrderAmountBeforeFen: r.net_order_amount_fen,
        refundedAt: now.toISOString(),
        businessDay,
        reversals: reversals.map((x) => ({
          reversalId: x.id,
          partId: x.redemption_part_id,
          funderId: x.funder_id,
          amountFen: x.amount_fen,
        })),
        voucherOutcome: voucherOutcome!,
      };
      await this.outbox(m, OutboxTopic.RedemptionReversed, r.id, payload, now);
      await this.record(m, actor, r, refund.id, input, outcome, after);
    } else {
      await m.query(`UPDATE redemption SET net_order_amount_fen = $2 WHERE id = $1`, [r.id, after]);
      const payload: RedemptionAmendedPayload = {
        redemptionId: r.id,
        refundId: refund.id,
        merchantId: r.merchant_id,
        refundAmountFen: input.refundAmountFen,
        netOrderAmountAfterFen: after,
        refundedAt: now.toISOString(),
        businessDay,
      };
      await this.outbox(m, OutboxTopic.RedemptionAmended, r.id, payload, now);
      await this.record(m, actor, r, refund.id, input, outcome, after);
    }
    refundsTotal.inc({ outcome });
    return {
      id: refund.id,
      redemptionId: r.id,
      storeId: ctx.store.id,
      refundAmountFen: input.refundAmountFen,
      orderAmountAfterFen: after,
      outcome,
      voucherOutcome,
      refundedAt: now.toISOString(),
      businessDay,
      redemption: {
        id: r.id,
        status: reverses ? 'reversed' : 'active',
        netOrderAmountFen: reverses ? r.net_order_amount_fen : after,
      },
    };
  }

  private async outbox(m: EntityManager, topic: string, redemptionId: number, payload: object, now: Date) {
    await m.query(
      `INSERT INTO outbox_event (topic, aggregate_id, payload, created_at) VALUES ($1, $2, $3, $4)`,
      [topic, String(redemptionId), JSON.stringify(payload), now],
    );
  }

  private record(
    m: EntityManager,
    actor: Actor,
    r: RedemptionRow,
    refundId: number,
    input: RefundInput,
    outcome: RefundView['outcome'],
    after: Fen,
  ) {
    return this.audit.record(
      {
        actor,
        action: 'refund.create',
        entityType: 'redemption',
        entityId: r.id,
        details: {
          refundId,
          storeId: input.storeId,
          refundAmountFen: input.refundAmountFen,
          orderAmountAfterFen: after,
          outcome,
          reason: input.reason ?? null,
        },
      },
      m,
    );
  }
}
