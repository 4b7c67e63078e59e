/** The citizen's vouchers, as GET /api/v1/me/vouchers answers (libs/redemption views). */
export type VoucherState = 'claimed' | 'redeemed' | 'expired' | 'void';

export interface MyVoucherItem {
  id: number;
  state: VoucherState;
  batchId: number;
  batchName: string;
  campaignId: number;
  campaignName: string;
  faceValueFen: number;
  thresholdFen: number;
  validFrom: string;
  validUntil: string;
  claimedAt: string;
  usageWindows: { start: string; end: string }[];
  /** Set while a claimed voucher's campaign or batch is paused or ended (the till refuses it). */
  haltedBy: 'CAMPAIGN_ENDED' | 'BATCH_ENDED' | 'CAMPAIGN_PAUSED' | 'BATCH_PAUSED' | null;
}

export interface VoucherCode {
  qr: string;
  digits: string | null;
  expiresAt: string;
  refreshAfter: string;
}

export interface MyVoucherDetail extends MyVoucherItem {
  description: string;
  rules: {
    vouchersPerOrder: number;
    usableNow: boolean;
    allowedCategories: { code: string; name: string }[];
    allowedDistricts: { code: string; name: string }[];
    whitelistedMerchants: number;
    storeCount: number;
  };
  code: VoucherCode | null;
}

export const STATE_TABS: { state: VoucherState; title: string }[] = [
  { state: 'claimed', title: '未使用' },
  { state: 'redeemed', title: '已使用' },
  { state: 'expired', title: '已过期' },
  { state: 'void', title: '已作废' },
];
