import { EntityManager } from 'typeorm';
import {
  OutboxTopic,
  RedemptionAmendedPayload,
  RedemptionCreatedPayload,
  RedemptionReversedPayload,
} from '@jinli/contracts';
import { Actor, businessDayOf } from '@jinli/platform';
import { BatchView } from '@jinli/issuing';
import { DAY, Factories } from './factories';
import { TestApi } from './test-api';

export interface MerchantFixture {
  merchantId: number;
  storeId: number;
  cashierId: number;
}

export interface PartFixture {
  id: number;
  funderId: number;
  amountFen: number;
}

export interface RedemptionFixture {
  id: number;
  voucherId: number;
  batchId: number;
  campaignId: number;
  merchantId: number;
  storeId: number;
  orderAmountFen: number;
  discountFen: number;
  businessDay: string;
  parts: PartFixture[];
}

export interface RefundFixture {
  id: number;
  outcome: 'reversed_restored' | 'reversed_voided' | 'kept';
  reversals: (PartFixture & { reversalId: number })[];
}

/**
 * Claims, redemptions and refunds written with SQL, mirroring the redemption context: a redemption
 * inserts one part per campaign funder (parts sum to the discount; the database raises
 * funder.committed_fen); a reversing refund (the whole net order, or leaving the order below the
 * threshold) marks the redemption reversed and inserts one reversal per part, settled or not (the
 * database lowers committed_fen); a partial refund that keeps the redemption only lowers its net
 * order amount. Each writes its outbox row in the same transaction. Fast to set up thousands of
 * redemptions on chosen days; test/e2e/settlement-flow.e2e-spec.ts goes through the real routes.
 */
export class SettlementFactories {
  constructor(
    private readonly api: TestApi,
    private readonly f: Factories,
  ) {}

  private get tz(): string {
    return this.api.config.businessTimeZone;
  }

  /** An approved merchant with one store and its cashier. */
  async merchant(options: { category?: string; district?: string } = {}): Promise<MerchantFixture> {
    const { merchant, cashiers } = await this.f.merchant({ ...options, stores: 1 });
    return { merchantId: merchant.id, storeId: merchant.stores[0].id, cashierId: cashiers[0].id };
  }

  /** A claimed voucher of a batch for a new citizen (claimed now unless `at`). */
  async voucher(batch: Pick<BatchView, 'id'>, at?: Date): Promise<number> {
    const citizen = await this.f.citizen();
    const when = at ?? this.api.clock.now();
    const [row] = (await this.api.dataSource.query(
      `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, status, claimed_at, valid_from, valid_until)
       SELECT b.id, (SELECT id FROM claim_round WHERE batch_id = b.id ORDER BY seq LIMIT 1), $2, 1, 'claimed', $3, $3, $4
         FROM voucher_batch b WHERE b.id = $1
       RETURNING id`,
      [batch.id, citizen.id, when, new Date(when.getTime() + 30 * DAY)],
    )) as { id: number }[];
    return row.id;
  }

  /** Redeems a voucher (a new one of `batch` unless given) at a merchant's store. */
  async redeem(input: {
    batch: Pick<BatchView, 'id'>;
    merchant: MerchantFixture;
    orderAmountFen?: number;
    voucherId?: number;
    at?: Date;
  }): Promise<RedemptionFixture> {
    const at = input.at ?? this.api.clock.now();
    const voucherId = input.voucherId ?? (await this.voucher(input.batch, at));
    return this.api.dataSource.transaction(async (m) => {
      const [b] = (await m.query(
        `SELECT b.id, b.campaign_id AS "campaignId", b.face_value_fen AS "faceValueFen", b.threshold_fen AS "thresholdFen"
           FROM voucher_batch b WHERE b.id = $1`,
        [input.batch.id],
      )) as { id: number; campaignId: number; faceValueFen: number; thresholdFen: number }[];
      const orderAmountFen = input.orderAmountFen ?? b.thresholdFen;
      if (orderAmountFen < b.thresholdFen) throw new Error('order below the threshold');
      const discountFen = Math.min(b.faceValueFen, orderAmountFen);
      const [v] = (await m.query(`SELECT citizen_id AS "citizenId" FROM voucher WHERE id = $1`, [
        voucherId,
      ])) as {
        citizenId: number;
      }[];
      const businessDay = businessDayOf(at, this.tz);
      const [r] = (await m.query(
        `INSERT INTO redemption (voucher_id, batch_id, campaign_id, merchant_id, store_id, cashier_id, citizen_id,
           order_amount_fen, discount_fen, net_order_amount_fen, status, redeemed_at, business_day)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, 'active', $10, $11) RETURNING id`,
        [
          voucherId,
          b.id,
          b.campaignId,
          input.merchant.merchantId,
          input.merchant.storeId,
          input.merchant.cashierId,
          v.citizenId,
          orderAmountFen,
          discountFen,
          at,
          businessDay,
        ],
      )) as { id: number }[];
      await m.query(`UPDATE voucher SET status = 'redeemed', status_changed_at = $2 WHERE id = $1`, [
        voucherId,
        at,
      ]);
      const parts: PartFixture[] = [];
      for (const share of splitDiscount(discountFen, await this.shares(m, b.campaignId))) {
        const [p] = (await m.query(
          `INSERT INTO redemption_part (redemption_id, funder_id, merchant_id, business_day, amount_fen)
           VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [r.id, share.funderId, input.merchant.merchantId, businessDay, share.amountFen],
        )) as { id: number }[];
        parts.push({ id: p.id, funderId: share.funderId, amountFen: share.amountFen });
      }
      const payload: RedemptionCreatedPayload = {
        redemptionId: r.id,
        voucherId,
        batchId: b.id,
        campaignId: b.campaignId,
        merchantId: input.merchant.merchantId,
        storeId: input.merchant.storeId,
        citizenId: v.citizenId,
        orderAmountFen,
        discountFen,
        redeemedAt: at.toISOString(),
        businessDay,
        parts: parts.map((p) => ({ partId: p.id, funderId: p.funderId, amountFen: p.amountFen })),
      };
      await outbox(m, OutboxTopic.RedemptionCreated, r.id, payload, at);
      return {
        id: r.id,
        voucherId,
        batchId: b.id,
        campaignId: b.campaignId,
        merchantId: input.merchant.merchantId,
        storeId: input.merchant.storeId,
        orderAmountFen,
        discountFen,
        businessDay,
        parts,
      };
    });
  }

  /**
   * Refunds `amountFen` of a redemption's net order (all of it unless given). Reverses the
   * redemption when nothing is left or the rest is below the batch threshold; else keeps it.
   */
  async refund(
    redemptionId: number,
    options: { amountFen?: number; at?: Date } = {},
  ): Promise<RefundFixture> {
    const at = options.at ?? this.api.clock.now();
    return this.api.dataSource.transaction(async (m) => {
      const [r] = (await m.query(
        `SELECT r.id, r.status, r.merchant_id AS "merchantId", r.store_id AS "storeId", r.cashier_id AS "cashierId",
                r.voucher_id AS "voucherId", r.net_order_amount_fen AS "netFen", b.threshold_fen AS "thresholdFen",
                v.valid_until AS "validUntil"
           FROM redemption r JOIN voucher_batch b ON b.id = r.batch_id JOIN voucher v ON v.id = r.voucher_id
          WHERE r.id = $1 FOR UPDATE OF r`,
        [redemptionId],
      )) as {
        id: number;
        status: string;
        merchantId: number;
        storeId: number;
        cashierId: number;
        voucherId: number;
        netFen: number;
        thresholdFen: number;
        validUntil: Date;
      }[];
      if (r.status !== 'active') throw new Error(`redemption ${redemptionId} is not active`);
      const amountFen = options.amountFen ?? r.netFen;
      if (amountFen <= 0 || amountFen > r.netFen) throw new Error('refund amount out of range');
      const after = r.netFen - amountFen;
      const reverses = after === 0 || after < r.thresholdFen;
      const restored = reverses && after === 0 && at.getTime() < new Date(r.validUntil).getTime();
      const outcome = !reverses ? 'kept' : restored ? 'reversed_restored' : 'reversed_voided';
      const businessDay = businessDayOf(at, this.tz);
      const [refund] = (await m.query(
        `INSERT INTO refund (redemption_id, merchant_id, store_id, cashier_id, refund_amount_fen,
           order_amount_after_fen, outcome, refunded_at, business_day)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [r.id, r.merchantId, r.storeId, r.cashierId, amountFen, after, outcome, at, businessDay],
      )) as { id: number }[];
      if (!reverses) {
        await m.query(`UPDATE redemption SET net_order_amount_fen = $2 WHERE id = $1`, [r.id, after]);
        const payload: RedemptionAmendedPayload = {
          redemptionId: r.id,
          refundId: refund.id,
          merchantId: r.merchantId,
          refundAmountFen: amountFen,
          netOrderAmountAfterFen: after,
          refundedAt: at.toISOString(),
          businessDay,
        };
        await outbox(m, OutboxTopic.RedemptionAmended, r.id, payload, at);
        return { id: refund.id, outcome, reversals: [] };
      }
      await m.query(`UPDATE redemption SET status = 'reversed', reversed_at = $2 WHERE id = $1`, [r.id, at]);
      await m.query(`UPDATE voucher SET status = $2, status_changed_at = $3 WHERE id = $1`, [
        r.voucherId,
        restored ? 'claimed' : 'void',
        at,
      ]);
      const parts = (await m.query(
        `SELECT id, funder_id AS "funderId", amount_fen AS "amountFen" FROM redemption_part
          WHERE redemption_id = $1 ORDER BY funder_id`,
        [r.id],
      )) as PartFixture[];
      const reversals: RefundFixture['reversals'] = [];
      for (const p of parts) {
        const [v] = (await m.query(
          `INSERT INTO reversal (redemption_part_id, refund_id, funder_id, merchant_id, business_day, amount_fen, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [p.id, refund.id, p.funderId, r.merchantId, businessDay, p.amountFen, at],
        )) as { id: number }[];
        reversals.push({ ...p, reversalId: v.id });
      }
      const payload: RedemptionReversedPayload = {
        redemptionId: r.id,
        refundId: refund.id,
        merchantId: r.merchantId,
        refundAmountFen: amountFen,
        netOrderAmountBeforeFen: r.netFen,
        refundedAt: at.toISOString(),
        businessDay,
        reversals: reversals.map((v) => ({
          partId: v.id,
          funderId: v.funderId,
          amountFen: v.amountFen,
          reversalId: v.reversalId,
        })),
        voucherOutcome: restored ? 'restored' : 'voided',
      };
      await outbox(m, OutboxTopic.RedemptionReversed, r.id, payload, at);
      return { id: refund.id, outcome, reversals };
    });
  }

  /** A finance reviewer (staff account) as an Actor, with its token. */
  /**
   * The people a payout passes through, each a distinct finance account (the four-eyes rules tell
   * them apart), and an auditor.
   */
  async payoutTeam(): Promise<Record<'starter' | 'reviewer' | 'payer' | 'confirmer' | 'auditor', Actor>> {
    return {
      starter: (await this.finance()).actor,
      reviewer: (await this.finance()).actor,
      payer: (await this.finance()).actor,
      confirmer: (await this.finance()).actor,
      auditor: (await this.staff('auditor')).actor,
    };
  }

  async finance(): Promise<{ actor: Actor; token: string }> {
    return this.staff('finance');
  }

  async staff(role: 'finance' | 'auditor' | 'operator'): Promise<{ actor: Actor; token: string }> {
    const [row] = (await this.api.dataSource.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ($1, 'x', $2, $3) RETURNING id`,
      [`${role}${process.pid}x${Math.floor(Math.random() * 1e9)}`, role, `Test ${role}`],
    )) as { id: number }[];
    const actor: Actor = { id: row.id, role: role as Actor['role'] };
    return { actor, token: this.f.token(actor) };
  }

  private async shares(
    m: EntityManager,
    campaignId: number,
  ): Promise<{ funderId: number; shareBp: number }[]> {
    return (await m.query(
      `SELECT funder_id AS "funderId", share_bp AS "shareBp" FROM campaign_funder WHERE campaign_id = $1 ORDER BY funder_id`,
      [campaignId],
    )) as { funderId: number; shareBp: number }[];
  }
}

/**
 * Splits a discount between funders as redemption does (largest remainder): each gets the floor of
 * its exact share, the fen left over go one each to the largest remainders, ties to the lower funder
 * id, so the parts sum to the discount.
 */
export function splitDiscount(
  discountFen: number,
  shares: { funderId: number; shareBp: number }[],
): { funderId: number; amountFen: number }[] {
  const total = shares.reduce((sum, s) => sum + s.shareBp, 0);
  const rows = [...shares]
    .sort((a, b) => a.funderId - b.funderId)
    .map((s) => {
      const exact = BigInt(discountFen) * BigInt(s.shareBp);
      return { funderId: s.funderId, amount: exact / BigInt(total), remainder: exact % BigInt(total) };
    });
  let left = BigInt(discountFen) - rows.reduce((sum, r) => sum + r.amount, 0n);
  const byRemainder = [...rows].sort((a, b) =>
    a.remainder === b.remainder ? a.funderId - b.funderId : a.remainder > b.remainder ? -1 : 1,
  );
  for (const r of byRemainder) {
    if (left === 0n) break;
    r.amount += 1n;
    left -= 1n;
  }
  return rows.map((r) => ({ funderId: r.funderId, amountFen: Number(r.amount) }));
}

async function outbox(m: EntityManager, topic: string, aggregateId: number, payload: object, at: Date) {
  await m.query(
    `INSERT INTO outbox_event (topic, aggregate_id, payload, created_at) VALUES ($1, $2, $3, $4)`,
    [topic, String(aggregateId), JSON.stringify(payload), at],
  );
}
