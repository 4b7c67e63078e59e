import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One voucher per order. A redemption records the whole order amount (order_amount_fen and
 * net_order_amount_fen), and consumption driven, the till's day totals and refunds all read it per
 * redemption. Two vouchers on one order therefore counted the order twice and compared one batch's
 * threshold with the whole order at a refund. Splitting an order between its vouchers needs
 * order-level allocation, which Jinli does not have; until it does, a batch allows exactly one
 * voucher per order, and an order (merchant, order_ref) has at most one live redemption, which the
 * unique index below proves under concurrency.
 *
 * Fails (rather than rewriting data) if a batch allows more or an order already has two live
 * redemptions: those need a decision by the operator first.
 */
export class OneVoucherPerOrder1764700000000 implements MigrationInterface {
  name = 'OneVoucherPerOrder1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      DECLARE ids text;
      BEGIN
        SELECT string_agg(id::text, ', ' ORDER BY id) INTO ids FROM voucher_batch WHERE vouchers_per_order <> 1;
        IF ids IS NOT NULL THEN
          RAISE EXCEPTION 'voucher batches % allow more than one voucher per order; set vouchers_per_order = 1 first', ids;
        END IF;
      END $$;
      ALTER TABLE voucher_batch DROP CONSTRAINT ck_batch_vouchers_per_order;
      ALTER TABLE voucher_batch ADD CONSTRAINT ck_batch_vouchers_per_order CHECK (vouchers_per_order = 1);
      DROP INDEX ix_redemption_live_order;
      CREATE UNIQUE INDEX uq_redemption_live_order ON redemption (merchant_id, order_ref)
        WHERE order_ref IS NOT NULL AND status = 'active';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX uq_redemption_live_order;
      CREATE INDEX ix_redemption_live_order ON redemption (merchant_id, order_ref)
        WHERE order_ref IS NOT NULL AND status = 'active';
      ALTER TABLE voucher_batch DROP CONSTRAINT ck_batch_vouchers_per_order;
      ALTER TABLE voucher_batch ADD CONSTRAINT ck_batch_vouchers_per_order CHECK (vouchers_per_order BETWEEN 1 AND 10);
    `);
  }
}
