import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Redemption: the till's order reference (so "vouchers per order" can be enforced when several
 * vouchers pay one order), and indexes for the cashier/owner day views and idempotency clean-up.
 */
export class RedemptionOrderRef1764400000000 implements MigrationInterface {
  name = 'RedemptionOrderRef1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE redemption ADD COLUMN order_ref text;
      ALTER TABLE redemption ADD CONSTRAINT ck_redemption_order_ref
        CHECK (order_ref IS NULL OR order_ref ~ '^[\\x21-\\x7e]{1,64}$');
      CREATE INDEX ix_redemption_live_order ON redemption (merchant_id, order_ref)
        WHERE order_ref IS NOT NULL AND status = 'active';
      CREATE INDEX ix_refund_merchant_day ON refund (merchant_id, business_day);
      CREATE INDEX ix_reversal_refund ON reversal (refund_id);
      CREATE INDEX ix_idempotency_record_created ON idempotency_record (created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX ix_idempotency_record_created;
      DROP INDEX ix_reversal_refund;
      DROP INDEX ix_refund_merchant_day;
      DROP INDEX ix_redemption_live_order;
      ALTER TABLE redemption DROP CONSTRAINT ck_redemption_order_ref;
      ALTER TABLE redemption DROP COLUMN order_ref;
    `);
  }
}
