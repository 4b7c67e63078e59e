import { Fen } from '@jinli/platform';

export interface RedemptionPartView {
  partId: number;
  funderId: number;
  amountFen: Fen;
}

export interface RedemptionView {
  id: number;
  voucherId: number;
  batchId: number;
  batchName: string;
  campaignId: number;
  merchantId: number;
  storeId: number;
  cashierId: number;
  orderRef: string | null;
  orderAmountFen: Fen;
  discountFen: Fen;
  /** What the customer pays: order amount minus discount. */
  payableFen: Fen;
  netOrderAmountFen: Fen;
  status: 'active' | 'reversed';
  redeemedAt: string;
  businessDay: string;
  reversedAt: string | null;
  parts: RedemptionPartView[];
}
