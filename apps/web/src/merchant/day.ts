/** GET /api/v1/till/day (cashier) and /api/v1/merchant/day (owner): a business day at the merchant. */
export interface DayTotals {
  redemptions: number;
  orderAmountFen: number;
  discountFen: number;
  reversed: number;
  netOrderAmountFen: number;
  netDiscountFen: number;
  refunds: number;
  refundAmountFen: number;
}

export interface DayRedemption {
  id: number;
  voucherId: number;
  batchName: string;
  storeId: number;
  cashierId: number;
  orderRef: string | null;
  orderAmountFen: number;
  discountFen: number;
  netOrderAmountFen: number;
  status: 'active' | 'reversed';
  redeemedAt: string;
}

export interface DayRefund {
  id: number;
  redemptionId: number;
  storeId: number;
  cashierId: number;
  refundAmountFen: number;
  orderAmountAfterFen: number;
  outcome: string;
  refundedAt: string;
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

export const REFUND_OUTCOME: Record<string, string> = {
  reversed_restored: '已冲正，券已退回顾客',
  reversed_voided: '已冲正，券已作废',
  kept: '部分退款，仍满足门槛，核销保留',
};
