import {
  LifecycleStatus,
  REDEMPTION_RULE_MESSAGES,
  RedemptionRuleCode,
  RuleFailure,
  VoucherStatus,
} from '@jinli/contracts';
import { Fen, formatYuan, inDailyWindow, minuteOfDay } from '@jinli/platform';
import { splitSubsidy, SubsidyPart } from './subsidy-split';

export interface UsageWindowRule {
  start: string;
  end: string;
}

/** Everything the rules read, loaded in one go by the redemption service. */
export interface RedemptionFacts {
  voucher: { id: number; status: VoucherStatus; validFrom: Date; validUntil: Date };
  batch: {
    faceValueFen: Fen;
    thresholdFen: Fen;
    allowedCategories: string[];
    allowedDistricts: string[];
    merchantWhitelist: number[];
    usageWindows: UsageWindowRule[];
    status: LifecycleStatus;
  };
  campaignStatus: LifecycleStatus;
  funders: {
    funderId: number;
    shareBp: number;
    budgetFen: Fen;
    committedFen: Fen;
    status: LifecycleStatus;
  }[];
  /** Where the order is paid: the merchant's category and the store's district. */
  merchant: { id: number; category: string };
  store: { district: string };
  /** The order the till named (`orderRef`) already has a live redemption (one voucher per order). */
  orderTaken?: boolean;
  /**
   * This citizen's latest live redemption at this store within the repeat window, unless both name
   * different orders: likely the same purchase paid with a second voucher.
   */
  repeat?: { redeemedAt: Date; windowS: number };
}

export interface RuleOutcome {
  discountFen: Fen;
  payableFen: Fen;
  parts: SubsidyPart[];
  /** Every rule that fails, in the order a cashier should read them; empty when redeemable. */
  failures: RuleFailure[];
}

const EN: Record<RedemptionRuleCode, string> = {
  VOUCHER_ALREADY_REDEEMED: 'The voucher has already been redeemed',
  VOUCHER_EXPIRED: 'The voucher has expired',
  VOUCHER_VOID: 'The voucher is void',
  VOUCHER_NOT_YET_VALID: 'The voucher is not valid yet',
  VOUCHER_OUTSIDE_USAGE_WINDOW: 'The voucher cannot be used at this time of day',
  ORDER_BELOW_THRESHOLD: 'The order amount is below the voucher threshold',
  VOUCHERS_PER_ORDER_EXCEEDED: 'This order already has a voucher: one voucher per order',
  REPEAT_REDEMPTION_TOO_SOON:
    "This citizen's voucher was redeemed at this store moments ago; name the order (orderRef) if this is another purchase",
  MERCHANT_CATEGORY_NOT_ALLOWED: "The voucher is not valid for this merchant's category",
  MERCHANT_DISTRICT_NOT_ALLOWED: "The voucher is not valid in this store's district",
  MERCHANT_NOT_WHITELISTED: 'The voucher is valid only at listed merchants',
  CAMPAIGN_PAUSED: 'The campaign is paused',
  CAMPAIGN_ENDED: 'The campaign has ended',
  BATCH_PAUSED: 'The voucher batch is paused',
  BATCH_ENDED: 'The voucher batch has ended',
  FUNDER_NOT_PUBLISHED: 'A funder of the campaign is paused or ended',
  FUNDER_BUDGET_EXHAUSTED: "A funder's budget cannot cover this subsidy",
};

export function ruleFailure(code: RedemptionRuleCode, params?: Record<string, unknown>): RuleFailure {
  const m = REDEMPTION_RULE_MESSAGES[code];
  let zh = m.zh;
  for (const [k, v] of Object.entries(params ?? {})) zh = zh.replace(`{${k}}`, String(v));
  const failure: RuleFailure = { code, messageKey: m.key, message: EN[code], messageZh: zh };
  if (params) failure.params = params;
  return failure;
}

/**
 * Decides whether a voucher may pay part of an order, now, at this store. Pure: the service loads
 * the facts, and the database still proves the outcome (guarded update, unique index, budget check).
 */
export function evaluateRedemption(
  facts: RedemptionFacts,
  orderAmountFen: Fen,
  now: Date,
  timeZone: string,
): RuleOutcome {
  const { voucher, batch } = facts;
  const failures: RuleFailure[] = [];
  const fail = (code: RedemptionRuleCode, params?: Record<string, unknown>) =>
    failures.push(ruleFailure(code, params));

  if (voucher.status === 'redeemed') fail('VOUCHER_ALREADY_REDEEMED');
  else if (voucher.status === 'void') fail('VOUCHER_VOID');
  else if (voucher.status === 'expired' || now.getTime() >= voucher.validUntil.getTime())
    fail('VOUCHER_EXPIRED', { validUntil: voucher.validUntil.toISOString() });
  else if (now.getTime() < voucher.validFrom.getTime())
    fail('VOUCHER_NOT_YET_VALID', { validFrom: voucher.validFrom.toISOString() });

  if (facts.campaignStatus === 'paused') fail('CAMPAIGN_PAUSED');
  else if (facts.campaignStatus !== 'published') fail('CAMPAIGN_ENDED');
  if (batch.status === 'paused') fail('BATCH_PAUSED');
  else if (batch.status !== 'published') fail('BATCH_ENDED');
  // A paused or ended funder pays no new subsidy (funders of live campaigns cannot be paused, but
  // the redemption does not rely on that).
  const idle = facts.funders.filter((f) => f.status !== 'published');
  if (idle.length > 0) fail('FUNDER_NOT_PUBLISHED', { funderIds: idle.map((f) => f.funderId) });

  if (batch.allowedCategories.length > 0 && !batch.allowedCategories.includes(facts.merchant.category))
    fail('MERCHANT_CATEGORY_NOT_ALLOWED', { category: facts.merchant.category });
  if (batch.allowedDistricts.length > 0 && !batch.allowedDistricts.includes(facts.store.district))
    fail('MERCHANT_DISTRICT_NOT_ALLOWED', { district: facts.store.district });
  if (batch.merchantWhitelist.length > 0 && !batch.merchantWhitelist.includes(facts.merchant.id))
    fail('MERCHANT_NOT_WHITELISTED');

  if (batch.usageWindows.length > 0) {
    const minute = minuteOfDay(now, timeZone);
    if (!batch.usageWindows.some((w) => inDailyWindow(minute, w.start, w.end))) {
      fail('VOUCHER_OUTSIDE_USAGE_WINDOW', {
        windows: batch.usageWindows.map((w) => `${w.start}-${w.end}`).join(', '),
      });
    }
  }

  if (orderAmountFen < batch.thresholdFen) {
    fail('ORDER_BELOW_THRESHOLD', {
      thresholdFen: batch.thresholdFen,
      thresholdYuan: formatYuan(batch.thresholdFen),
      orderAmountFen,
    });
  }
  // One voucher per order: a redemption records the whole order amount (see docs/redemption.md).
  if (facts.orderTaken) fail('VOUCHERS_PER_ORDER_EXCEEDED', { limit: 1 });
  if (facts.repeat) {
    const until = facts.repeat.redeemedAt.getTime() + facts.repeat.windowS * 1000;
    fail('REPEAT_REDEMPTION_TOO_SOON', {
      windowS: facts.repeat.windowS,
      retryAfterS: Math.max(Math.ceil((until - now.getTime()) / 1000), 1),
    });
  }

  const discountFen = Math.min(batch.faceValueFen, orderAmountFen);
  const parts = discountFen > 0 ? splitSubsidy(discountFen, facts.funders) : [];
  const short = parts.filter((p) => {
    const f = facts.funders.find((x) => x.funderId === p.funderId)!;
    return f.committedFen + p.amountFen > f.budgetFen;
  });
  if (short.length > 0) fail('FUNDER_BUDGET_EXHAUSTED', { funderIds: short.map((p) => p.funderId) });

  return { discountFen, payableFen: orderAmountFen - discountFen, parts, failures };
}
