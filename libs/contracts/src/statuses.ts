/** Lifecycle shared by funders, campaigns and voucher batches. */
export const LifecycleStatus = {
  Draft: 'draft',
  Published: 'published',
  Paused: 'paused',
  Ended: 'ended',
} as const;
export type LifecycleStatus = (typeof LifecycleStatus)[keyof typeof LifecycleStatus];

export const FunderKind = { City: 'city', District: 'district', Company: 'company' } as const;
export type FunderKind = (typeof FunderKind)[keyof typeof FunderKind];

export const MerchantStatus = {
  Pending: 'pending',
  Approved: 'approved',
  Rejected: 'rejected',
  Suspended: 'suspended',
} as const;
export type MerchantStatus = (typeof MerchantStatus)[keyof typeof MerchantStatus];

export const StoreStatus = { Active: 'active', Closed: 'closed' } as const;
export type StoreStatus = (typeof StoreStatus)[keyof typeof StoreStatus];

export const ValidityKind = { Fixed: 'fixed', Relative: 'relative' } as const;
export type ValidityKind = (typeof ValidityKind)[keyof typeof ValidityKind];

/** What a refund does to the voucher of the redemption it reverses. */
export const RefundPolicy = {
  /** Alipay practice: a full refund within validity restores the voucher; partial or late voids it. */
  RestoreIfValid: 'restore_if_valid',
  /** Any reversing refund voids the voucher. */
  Void: 'void',
} as const;
export type RefundPolicy = (typeof RefundPolicy)[keyof typeof RefundPolicy];

export const VoucherStatus = {
  Claimed: 'claimed',
  Redeemed: 'redeemed',
  Expired: 'expired',
  Void: 'void',
} as const;
export type VoucherStatus = (typeof VoucherStatus)[keyof typeof VoucherStatus];

export const RedemptionStatus = { Active: 'active', Reversed: 'reversed' } as const;
export type RedemptionStatus = (typeof RedemptionStatus)[keyof typeof RedemptionStatus];

export const StatementStatus = {
  Draft: 'draft',
  PendingReview: 'pending_review',
  Approved: 'approved',
  Rejected: 'rejected',
  Held: 'held',
  Released: 'released',
  Paid: 'paid',
} as const;
export type StatementStatus = (typeof StatementStatus)[keyof typeof StatementStatus];

export const PayoutStatus = { Exported: 'exported', Paid: 'paid', Cancelled: 'cancelled' } as const;
export type PayoutStatus = (typeof PayoutStatus)[keyof typeof PayoutStatus];

export const LedgerAccount = {
  FunderBudget: 'funder_budget',
  FunderPayable: 'funder_payable',
  MerchantReceivable: 'merchant_receivable',
  Bank: 'bank',
} as const;
export type LedgerAccount = (typeof LedgerAccount)[keyof typeof LedgerAccount];
