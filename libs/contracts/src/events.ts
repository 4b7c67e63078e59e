/**
 * Outbox topics: rows of `outbox_event` written in the same transaction as the change they describe.
 * Redemption writes them; settlement (ledger) and reporting (aggregates) consume them in order of id.
 * Payload money is integer fen; days are Asia/Shanghai business days (YYYY-MM-DD).
 */
export const OutboxTopic = {
  /** A voucher was applied to an order. */
  RedemptionCreated: 'redemption.created',
  /** A refund reversed a redemption (full refund, or partial below the threshold). */
  RedemptionReversed: 'redemption.reversed',
  /** A partial refund kept the redemption (order still at or above the threshold). */
  RedemptionAmended: 'redemption.amended',
} as const;
export type OutboxTopic = (typeof OutboxTopic)[keyof typeof OutboxTopic];

export interface RedemptionPartPayload {
  partId: number;
  funderId: number;
  amountFen: number;
}

export interface RedemptionCreatedPayload {
  redemptionId: number;
  voucherId: number;
  batchId: number;
  campaignId: number;
  merchantId: number;
  storeId: number;
  citizenId: number;
  orderAmountFen: number;
  discountFen: number;
  redeemedAt: string;
  businessDay: string;
  parts: RedemptionPartPayload[];
}

export interface RedemptionReversedPayload {
  redemptionId: number;
  refundId: number;
  merchantId: number;
  refundAmountFen: number;
  /** Net order amount the redemption had before this refund (consumption driven it no longer counts). */
  netOrderAmountBeforeFen: number;
  refundedAt: string;
  businessDay: string;
  /** One reversal per part of the redemption (every part is reversed, settled or not). */
  reversals: (RedemptionPartPayload & { reversalId: number })[];
  voucherOutcome: 'restored' | 'voided';
}

export interface RedemptionAmendedPayload {
  redemptionId: number;
  refundId: number;
  merchantId: number;
  refundAmountFen: number;
  netOrderAmountAfterFen: number;
  refundedAt: string;
  businessDay: string;
}
