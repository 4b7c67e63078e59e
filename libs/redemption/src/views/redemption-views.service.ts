import { Inject, Injectable } from '@nestjs/common';
import {
  CATEGORIES,
  DISTRICTS,
  LifecycleStatus,
  RedemptionRuleCode,
  VoucherCodeView,
  VoucherStatus,
} from '@jinli/contracts';
import {
  AppConfig,
  APP_CONFIG,
  businessDayOf,
  Clock,
  Fen,
  inDailyWindow,
  minuteOfDay,
  TransactionRunner,
} from '@jinli/platform';
import { VoucherCodeService } from '../codes/voucher-code.service';
import { RedemptionException } from '../redemption.exception';
import { UsageWindowRule } from '../rules/redemption-rules';

/** What the citizen sees: a claimed voucher past its validity reads as expired before the job runs. */
export type VoucherState = VoucherStatus;

/**
 * Why a claimed voucher cannot be used while its campaign or batch is not live: the codes the till
 * would answer (redemption-rules), ended before paused since an end is final.
 */
export type VoucherHaltReason = Extract<
  RedemptionRuleCode,
  'CAMPAIGN_ENDED' | 'BATCH_ENDED' | 'CAMPAIGN_PAUSED' | 'BATCH_PAUSED'
>;

export interface MyVoucherItem {
  id: number;
  state: VoucherState;
  batchId: number;
  batchName: string;
  campaignId: number;
  campaignName: string;
  faceValueFen: Fen;
  thresholdFen: Fen;
  validFrom: string;
  validUntil: string;
  claimedAt: string;
  usageWindows: UsageWindowRule[];
  /** Set while a claimed voucher's campaign or batch is paused or ended; null otherwise. */
  haltedBy: VoucherHaltReason | null;
}

export interface MyVoucherDetail extends MyVoucherItem {
  description: string;
  rules: {
    vouchersPerOrder: number;
    /** Redeemable at this moment: claimed, campaign and batch live, within validity and usage windows. */
    usableNow: boolean;
    allowedCategories: { code: string; name: string }[];
    allowedDistricts: { code: string; name: string }[];
    /** Number of merchants on the whitelist (0: any merchant that meets the other rules). */
    whitelistedMerchants: number;
    /** Open stores of approved merchants where the voucher can be used. */
    storeCount: number;
  };
  /** The live code, only while the voucher can be redeemed (none while its campaign or batch is halted). */
  code: VoucherCodeView | null;
}

export interface DayRedemption {
  id: number;
  voucherId: number;
  batchName: string;
  storeId: number;
  cashierId: number;
  orderRef: string | null;
  orderAmountFen: Fen;
  discountFen: Fen;
  netOrderAmountFen: Fen;
  status: 'active' | 'reversed';
  redeemedAt: string;
}

export interface DayRefund {
  id: number;
  redemptionId: number;
  storeId: number;
  cashierId: number;
  refundAmountFen: Fen;
  orderAmountAfterFen: Fen;
  outcome: string;
  refundedAt: string;
}

export interface DayTotals {
  redemptions: number;
  orderAmountFen: Fen;
  discountFen: Fen;
  /** Of the day's redemptions, those since reversed by a refund. */
  reversed: number;
  /** Consumption driven by the day's redemptions still live (net of refunds). */
  netOrderAmountFen: Fen;
  /** Subsidy of the day's redemptions still live. */
  netDiscountFen: Fen;
  refunds: number;
  refundAmountFen: Fen;
}

export interface DaySummary {
  day: string;
  merchantId: number;
  storeId: number | null;
  totals: DayTotals;
  perStore: ({ storeId: number; storeName: string } & DayTotals)[];
  redemptions: DayRedemption[];
  refunds: DayRefund[];
}

const LIST_LIMIT = 500;

const STATE_SQL = `CASE WHEN v.status = 'claimed' AND v.valid_until <= $2 THEN 'expired' ELSE v.status END`;

@Injectable()
export class RedemptionViewsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly codes: VoucherCodeService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A citizen's vouchers, optionally of one state, with the count in every state. */
  async myVouchers(
    citizenId: number,
    state?: VoucherState,
  ): Promise<{ counts: Record<VoucherState, number>; items: MyVoucherItem[] }> {
    const now = this.clock.now();
    const rows = (await this.tx.dataSource.query(
      `SELECT v.id, ${STATE_SQL} AS state, v.batch_id, b.name AS batch_name, b.campaign_id, c.name AS campaign_name,
              b.face_value_fen, b.threshold_fen, v.valid_from, v.valid_until, v.claimed_at, b.usage_windows,
              c.status AS campaign_status, b.status AS batch_status
         FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id JOIN campaign c ON c.id = b.campaign_id
        WHERE v.citizen_id = $1
        ORDER BY v.valid_until, v.id`,
      [citizenId, now],
    )) as Record<string, any>[];
    const counts: Record<VoucherState, number> = { claimed: 0, redeemed: 0, expired: 0, void: 0 };
    const items: MyVoucherItem[] = [];
    for (const r of rows) {
      counts[r.state as VoucherState] += 1;
      if (!state || r.state === state) items.push(itemOf(r));
    }
    return { counts, items };
  }

  /** One voucher of the citizen, its rules, where it can be used, and its live code. 404 if not theirs. */
  async myVoucher(citizenId: number, voucherId: number): Promise<MyVoucherDetail> {
    const now = this.clock.now();
    const [r] = (await this.tx.dataSource.query(
      `SELECT v.id, ${STATE_SQL} AS state, v.batch_id, b.name AS batch_name, b.description, b.campaign_id,
              c.name AS campaign_name, b.face_value_fen, b.threshold_fen, v.valid_from, v.valid_until, v.claimed_at,
              b.usage_windows, c.status AS campaign_status, b.status AS batch_status, b.vouchers_per_order, b.allowed_categories, b.allowed_districts, b.merchant_whitelist,
              (SELECT count(*)::int FROM store s JOIN merchant m ON m.id = s.merchant_id
                WHERE s.status = 'active' AND m.status = 'approved'
                  AND (cardinality(b.allowed_categories) = 0 OR m.category = ANY(b.allowed_categories))
                  AND (cardinality(b.allowed_districts) = 0 OR s.district = ANY(b.allowed_districts))
                  AND (cardinality(b.merchant_whitelist) = 0 OR m.id = ANY(b.merchant_whitelist))) AS store_count
         FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id JOIN campaign c ON c.id = b.campaign_id
        WHERE v.id = $1 AND v.citizen_id = $3`,
      [voucherId, now, citizenId],
    )) as Record<string, any>[];
    // Another citizen's voucher does not exist as far as this citizen can tell.
    if (!r) throw new RedemptionException('VOUCHER_NOT_FOUND', `Voucher ${voucherId} was not found`);
    const item = itemOf(r);
    const minute = minuteOfDay(now, this.config.businessTimeZone);
    const windows = item.usageWindows;
    const inWindow = windows.length === 0 || windows.some((w) => inDailyWindow(minute, w.start, w.end));
    const redeemable = item.state === 'claimed' && item.haltedBy === null;
    return {
      ...item,
      description: r.description,
      rules: {
        vouchersPerOrder: r.vouchers_per_order,
        usableNow: redeemable && inWindow && now.getTime() >= new Date(item.validFrom).getTime(),
        allowedCategories: (r.allowed_categories as string[]).map((code) => ({
          code,
          name: CATEGORIES.find((c) => c.code === code)?.name ?? code,
        })),
        allowedDistricts: (r.allowed_districts as string[]).map((code) => ({
          code,
          name: DISTRICTS.find((d) => d.code === code)?.name ?? code,
        })),
        whitelistedMerchants: (r.merchant_whitelist as number[]).length,
        storeCount: r.store_count,
      },
      code: redeemable ? this.codes.issue(item.id) : null,
    };
  }

  /** Just the live code, for the page's refresh every 30 seconds. */
  async myVoucherCode(citizenId: number, voucherId: number): Promise<VoucherCodeView> {
    const now = this.clock.now();
    const [r] = (await this.tx.dataSource.query(
      `SELECT v.id, ${STATE_SQL} AS state, c.status AS campaign_status, b.status AS batch_status
         FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id JOIN campaign c ON c.id = b.campaign_id
        WHERE v.id = $1 AND v.citizen_id = $3`,
      [voucherId, now, citizenId],
    )) as {
      id: number;
      state: VoucherState;
      campaign_status: LifecycleStatus;
      batch_status: LifecycleStatus;
    }[];
    if (!r) throw new RedemptionException('VOUCHER_NOT_FOUND', `Voucher ${voucherId} was not found`);
    if (r.state === 'redeemed')
      throw new RedemptionException('VOUCHER_ALREADY_REDEEMED', 'The voucher has been used');
    if (r.state === 'expired') throw new RedemptionException('VOUCHER_EXPIRED', 'The voucher has expired');
    if (r.state === 'void') throw new RedemptionException('VOUCHER_VOID', 'The voucher is void');
    // The till refuses it anyway; a live code would tell the citizen otherwise.
    const halted = haltOf(r.campaign_status, r.batch_status);
    if (halted) throw new RedemptionException(halted, HALT_MESSAGES[halted]);
    return this.codes.issue(r.id);
  }

  /** Redemptions and refunds of a business day at a merchant (one store, or all with a per-store split). */
  async day(scope: { merchantId: number; storeId?: number }, day?: string): Promise<DaySummary> {
    const d = day ?? businessDayOf(this.clock.now(), this.config.businessTimeZone);
    const storeId = scope.storeId ?? null;
    const q = this.tx.dataSource;
    const redemptions = (await q.query(
      `SELECT r.id, r.voucher_id, b.name AS batch_name, r.store_id, r.cashier_id, r.order_ref, r.order_amount_fen,
              r.discount_fen, r.net_order_amount_fen, r.status, r.redeemed_at
         FROM redemption r JOIN voucher_batch b ON b.id = r.batch_id
        WHERE r.merchant_id = $1 AND ($2::int IS NULL OR r.store_id = $2) AND r.business_day = $3
        ORDER BY r.redeemed_at DESC, r.id DESC`,
      [scope.merchantId, storeId, d],
    )) as Record<string, any>[];
    const refunds = (await q.query(
      `SELECT f.id, f.redemption_id, f.store_id, f.cashier_id, f.refund_amount_fen, f.order_amount_after_fen, f.outcome,
              f.refunded_at
         FROM refund f
        WHERE f.merchant_id = $1 AND ($2::int IS NULL OR f.store_id = $2) AND f.business_day = $3
        ORDER BY f.refunded_at DESC, f.id DESC`,
      [scope.merchantId, storeId, d],
    )) as Record<string, any>[];
    const stores = (await q.query(
      `SELECT id, name FROM store WHERE merchant_id = $1 AND ($2::int IS NULL OR id = $2) ORDER BY id`,
      [scope.merchantId, storeId],
    )) as { id: number; name: string }[];

    const totalsOf = (sid: number | null): DayTotals => {
      const rs = redemptions.filter((r) => sid === null || r.store_id === sid);
      const fs = refunds.filter((f) => sid === null || f.store_id === sid);
      const live = rs.filter((r) => r.status === 'active');
      return {
        redemptions: rs.length,
        orderAmountFen: sum(rs.map((r) => r.order_amount_fen)),
        discountFen: sum(rs.map((r) => r.discount_fen)),
        reversed: rs.length - live.length,
        netOrderAmountFen: sum(live.map((r) => r.net_order_amount_fen)),
        netDiscountFen: sum(live.map((r) => r.discount_fen)),
        refunds: fs.length,
        refundAmountFen: sum(fs.map((f) => f.refund_amount_fen)),
      };
    };
    return {
      day: d,
      merchantId: scope.merchantId,
      storeId,
      totals: totalsOf(null),
      perStore: stores.map((s) => ({ storeId: s.id, storeName: s.name, ...totalsOf(s.id) })),
      redemptions: redemptions.slice(0, LIST_LIMIT).map((r) => ({
        id: r.id,
        voucherId: r.voucher_id,
        batchName: r.batch_name,
        storeId: r.store_id,
        cashierId: r.cashier_id,
        orderRef: r.order_ref,
        orderAmountFen: r.order_amount_fen,
        discountFen: r.discount_fen,
        netOrderAmountFen: r.net_order_amount_fen,
        status: r.status,
        redeemedAt: (r.redeemed_at as Date).toISOString(),
      })),
      refunds: refunds.slice(0, LIST_LIMIT).map((f) => ({
        id: f.id,
        redemptionId: f.redemption_id,
        storeId: f.store_id,
        cashierId: f.cashier_id,
        refundAmountFen: f.refund_amount_fen,
        orderAmountAfterFen: f.order_amount_after_fen,
        outcome: f.outcome,
        refundedAt: (f.refunded_at as Date).toISOString(),
      })),
    };
  }

  /** One redemption of the merchant (for the refund screen). */
  async redemption(merchantId: number, redemptionId: number) {
    const [r] = (await this.tx.dataSource.query(
      `SELECT r.*, b.name AS batch_name, b.threshold_fen, b.refund_policy,
              (SELECT json_agg(json_build_object('partId', p.id, 'funderId', p.funder_id, 'amountFen', p.amount_fen)
                               ORDER BY p.funder_id) FROM redemption_part p WHERE p.redemption_id = r.id) AS parts,
              (SELECT json_agg(json_build_object('id', f.id, 'refundAmountFen', f.refund_amount_fen,
                               'orderAmountAfterFen', f.order_amount_after_fen, 'outcome', f.outcome,
                               'storeId', f.store_id, 'refundedAt', f.refunded_at) ORDER BY f.id)
                 FROM refund f WHERE f.redemption_id = r.id) AS refunds
         FROM redemption r JOIN voucher_batch b ON b.id = r.batch_id
        WHERE r.id = $1 AND r.merchant_id = $2`,
      [redemptionId, merchantId],
    )) as Record<string, any>[];
    if (!r) throw new RedemptionException('REDEMPTION_NOT_FOUND', `Redemption ${redemptionId} was not found`);
    return {
      id: r.id,
      voucherId: r.voucher_id,
      batchId: r.batch_id,
      batchName: r.batch_name,
      merchantId: r.merchant_id,
      storeId: r.store_id,
      cashierId: r.cashier_id,
      orderRef: r.order_ref,
      orderAmountFen: r.order_amount_fen,
      discountFen: r.discount_fen,
      payableFen: r.order_amount_fen - r.discount_fen,
      netOrderAmountFen: r.net_order_amount_fen,
      thresholdFen: r.threshold_fen,
      refundPolicy: r.refund_policy,
      status: r.status,
      redeemedAt: (r.redeemed_at as Date).toISOString(),
      businessDay: r.business_day,
      reversedAt: r.reversed_at ? (r.reversed_at as Date).toISOString() : null,
      parts: r.parts ?? [],
      refunds: r.refunds ?? [],
    };
  }
}

function itemOf(r: Record<string, any>): MyVoucherItem {
  return {
    id: r.id,
    state: r.state,
    batchId: r.batch_id,
    batchName: r.batch_name,
    campaignId: r.campaign_id,
    campaignName: r.campaign_name,
    faceValueFen: r.face_value_fen,
    thresholdFen: r.threshold_fen,
    validFrom: (r.valid_from as Date).toISOString(),
    validUntil: (r.valid_until as Date).toISOString(),
    claimedAt: (r.claimed_at as Date).toISOString(),
    usageWindows: r.usage_windows,
    haltedBy: r.state === 'claimed' ? haltOf(r.campaign_status, r.batch_status) : null,
  };
}

const HALT_MESSAGES: Record<VoucherHaltReason, string> = {
  CAMPAIGN_ENDED: 'The campaign has ended',
  BATCH_ENDED: 'The voucher batch has ended',
  CAMPAIGN_PAUSED: 'The campaign is paused',
  BATCH_PAUSED: 'The voucher batch is paused',
};

/** As evaluateRedemption reads them: paused is paused, anything else not published is ended. */
function haltOf(campaign: LifecycleStatus, batch: LifecycleStatus): VoucherHaltReason | null {
  if (campaign !== 'published' && campaign !== 'paused') return 'CAMPAIGN_ENDED';
  if (batch !== 'published' && batch !== 'paused') return 'BATCH_ENDED';
  if (campaign === 'paused') return 'CAMPAIGN_PAUSED';
  if (batch === 'paused') return 'BATCH_PAUSED';
  return null;
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}
