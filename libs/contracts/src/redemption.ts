import type { RedemptionErrors } from './errors/redemption.errors';

/** A redemption rule a voucher, an order or a store fails (preview lists every one of them). */
export type RedemptionRuleCode = Extract<
  keyof typeof RedemptionErrors,
  | 'VOUCHER_ALREADY_REDEEMED'
  | 'VOUCHER_EXPIRED'
  | 'VOUCHER_VOID'
  | 'VOUCHER_NOT_YET_VALID'
  | 'VOUCHER_OUTSIDE_USAGE_WINDOW'
  | 'ORDER_BELOW_THRESHOLD'
  | 'VOUCHERS_PER_ORDER_EXCEEDED'
  | 'REPEAT_REDEMPTION_TOO_SOON'
  | 'MERCHANT_CATEGORY_NOT_ALLOWED'
  | 'MERCHANT_DISTRICT_NOT_ALLOWED'
  | 'MERCHANT_NOT_WHITELISTED'
  | 'CAMPAIGN_PAUSED'
  | 'CAMPAIGN_ENDED'
  | 'BATCH_PAUSED'
  | 'BATCH_ENDED'
  | 'FUNDER_NOT_PUBLISHED'
  | 'FUNDER_BUDGET_EXHAUSTED'
>;

export interface RuleFailure {
  code: RedemptionRuleCode;
  /** i18n key for the till, e.g. `redemption.rule.orderBelowThreshold`. */
  messageKey: string;
  /** English text for logs and the API. */
  message: string;
  /** Simplified Chinese text for the till. */
  messageZh: string;
  /** Values the message refers to (amounts in fen, times as HH:mm). */
  params?: Record<string, unknown>;
}

/** i18n keys and Chinese texts of the rule failures ({name} placeholders take `params`). */
export const REDEMPTION_RULE_MESSAGES: Record<RedemptionRuleCode, { key: string; zh: string }> = {
  VOUCHER_ALREADY_REDEEMED: { key: 'redemption.rule.voucherAlreadyRedeemed', zh: '该券已核销' },
  VOUCHER_EXPIRED: { key: 'redemption.rule.voucherExpired', zh: '该券已过期' },
  VOUCHER_VOID: { key: 'redemption.rule.voucherVoid', zh: '该券已作废' },
  VOUCHER_NOT_YET_VALID: { key: 'redemption.rule.voucherNotYetValid', zh: '该券尚未到可用日期' },
  VOUCHER_OUTSIDE_USAGE_WINDOW: {
    key: 'redemption.rule.outsideUsageWindow',
    zh: '当前不在该券可用时段（{windows}）',
  },
  ORDER_BELOW_THRESHOLD: {
    key: 'redemption.rule.orderBelowThreshold',
    zh: '订单金额未达到使用门槛（满{thresholdYuan}元可用）',
  },
  VOUCHERS_PER_ORDER_EXCEEDED: {
    key: 'redemption.rule.vouchersPerOrderExceeded',
    zh: '每笔订单最多可用{limit}张券，该订单已用过券',
  },
  REPEAT_REDEMPTION_TOO_SOON: {
    key: 'redemption.rule.repeatRedemptionTooSoon',
    zh: '该顾客刚在本店用过券（{windowS}秒内）；同一笔消费只能用一张券，如确为另一笔订单，请填写小票号',
  },
  MERCHANT_CATEGORY_NOT_ALLOWED: {
    key: 'redemption.rule.categoryNotAllowed',
    zh: '该券不能在此类商户使用',
  },
  MERCHANT_DISTRICT_NOT_ALLOWED: {
    key: 'redemption.rule.districtNotAllowed',
    zh: '该券不能在此区域使用',
  },
  MERCHANT_NOT_WHITELISTED: { key: 'redemption.rule.notWhitelisted', zh: '本店不在该券的适用商户名单内' },
  CAMPAIGN_PAUSED: { key: 'redemption.rule.campaignPaused', zh: '活动已暂停' },
  CAMPAIGN_ENDED: { key: 'redemption.rule.campaignEnded', zh: '活动已结束' },
  BATCH_PAUSED: { key: 'redemption.rule.batchPaused', zh: '该券种已暂停使用' },
  BATCH_ENDED: { key: 'redemption.rule.batchEnded', zh: '该券种已停止使用' },
  FUNDER_NOT_PUBLISHED: {
    key: 'redemption.rule.funderNotPublished',
    zh: '补贴出资方已暂停或停止出资，暂不能用券',
  },
  FUNDER_BUDGET_EXHAUSTED: { key: 'redemption.rule.funderBudgetExhausted', zh: '补贴资金已用完' },
};

/** The live code of a voucher, as the citizen's page shows it. */
export interface VoucherCodeView {
  /** The QR payload (full-length signature). */
  qr: string;
  /** 18 digits for barcode guns and typing (null past voucher id 999,999,999). */
  digits: string | null;
  /** The code stops being accepted at this instant. */
  expiresAt: string;
  /** Fetch a fresh code at this instant (the next 30 s step). */
  refreshAfter: string;
}
