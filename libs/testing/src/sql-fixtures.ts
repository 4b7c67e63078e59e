import { DataSource, EntityManager } from 'typeorm';

type Db = DataSource | EntityManager;

/**
 * Writes a voucher straight into the table, as a claim would, bypassing every service: tests use it to
 * make "a batch that already has claims" and to prove the database's own quota and slot checks.
 */
export async function insertVoucher(
  db: Db,
  v: { batchId: number; roundId: number; citizenId: number; slot?: number; at: Date; validDays?: number },
): Promise<number> {
  const until = new Date(v.at.getTime() + (v.validDays ?? 7) * 24 * 3600_000);
  const [row] = (await db.query(
    `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
     VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id`,
    [v.batchId, v.roundId, v.citizenId, v.slot ?? 1, v.at, until],
  )) as { id: number }[];
  return row.id;
}

/** Writes an active redemption of a voucher straight into the table. */
export async function insertRedemption(
  db: Db,
  r: {
    voucherId: number;
    batchId: number;
    campaignId: number;
    merchantId: number;
    storeId: number;
    cashierId: number;
    citizenId: number;
    at: Date;
    orderAmountFen?: number;
    discountFen?: number;
    orderRef?: string;
  },
): Promise<number> {
  const order = r.orderAmountFen ?? 12_000;
  const [row] = (await db.query(
    `INSERT INTO redemption (voucher_id, batch_id, campaign_id, merchant_id, store_id, cashier_id, citizen_id,
       order_amount_fen, discount_fen, net_order_amount_fen, redeemed_at, business_day, order_ref)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $10, ($10 AT TIME ZONE 'Asia/Shanghai')::date, $11) RETURNING id`,
    [
      r.voucherId,
      r.batchId,
      r.campaignId,
      r.merchantId,
      r.storeId,
      r.cashierId,
      r.citizenId,
      order,
      r.discountFen ?? 3000,
      r.at,
      r.orderRef ?? null,
    ],
  )) as { id: number }[];
  return row.id;
}
