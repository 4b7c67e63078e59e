import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Redemption: the till's order reference (so "vouchers per order" can be enforced when several
 * vouchers pay one order), indexes for the cashier/owner day views and idempotency clean-up, and
 * funder.committed_fen kept by the database: every redemption part adds to its funder, every
 * reversal takes it back, in the same transaction, so ck_funder_committed_within_budget refuses an
 * overspent budget whoever writes the rows.
 *
 * The triggers are deferred to the commit on purpose. Every redemption of a campaign updates the
 * same funder rows, so their row locks serialise redeeming. Updated mid-transaction, a funder row
 * stayed locked across the application's next round trip (waiting in a busy event loop) and the
 * commit; updated at commit time it stays locked only for the commit itself. Parts and reversals are
 * inserted in funder id order, and deferred row triggers fire in insertion order, so two
 * transactions lock funders in the same order and never deadlock.
 */
export class Redemption1764400000000 implements MigrationInterface {
  name = 'Redemption1764400000000';

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

      CREATE FUNCTION apply_funder_commitment() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE funder
           SET committed_fen = committed_fen + CASE WHEN TG_TABLE_NAME = 'reversal' THEN -NEW.amount_fen ELSE NEW.amount_fen END
         WHERE id = NEW.funder_id;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER tr_redemption_part_commit_funder AFTER INSERT ON redemption_part
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.amount_fen <> 0)
        EXECUTE FUNCTION apply_funder_commitment();
      CREATE CONSTRAINT TRIGGER tr_reversal_release_funder AFTER INSERT ON reversal
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.amount_fen <> 0)
        EXECUTE FUNCTION apply_funder_commitment();
      -- Amounts of parts and reversals are final: the committed budget follows them.
      CREATE TRIGGER tr_redemption_part_fixed BEFORE UPDATE OF amount_fen, funder_id OR DELETE ON redemption_part
        FOR EACH ROW EXECUTE FUNCTION refuse_change('redemption parts are final');
      CREATE TRIGGER tr_reversal_fixed BEFORE UPDATE OF amount_fen, funder_id OR DELETE ON reversal
        FOR EACH ROW EXECUTE FUNCTION refuse_change('reversals are final');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tr_reversal_fixed ON reversal;
      DROP TRIGGER tr_redemption_part_fixed ON redemption_part;
      DROP TRIGGER tr_reversal_release_funder ON reversal;
      DROP TRIGGER tr_redemption_part_commit_funder ON redemption_part;
      DROP FUNCTION apply_funder_commitment();
      DROP INDEX ix_idempotency_record_created;
      DROP INDEX ix_reversal_refund;
      DROP INDEX ix_refund_merchant_day;
      DROP INDEX ix_redemption_live_order;
      ALTER TABLE redemption DROP CONSTRAINT ck_redemption_order_ref;
      ALTER TABLE redemption DROP COLUMN order_ref;
    `);
  }
}
