import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payouts can be corrected after export, and paying one takes a second person.
 * - `cancelled`: an exported payout withdrawn before the bank paid it (with who, when and why); its
 *   statements went back to approved, outside any payout.
 * - `paid_fen`: what the bank paid, the total less the transfers it could not make. Those are kept in
 *   `payout_failed_row` (one per funder and merchant), and their statements went back to approved.
 * - four eyes: whoever created (exported) a payout does not mark it paid. NOT VALID: payouts paid
 *   before this rule existed keep their history; every new or changed row is checked.
 * - a paid or cancelled payout is final; payouts and failed rows are never deleted.
 * Down refuses while a cancelled payout exists (the old status check cannot hold it).
 */
export class PayoutCorrections1764710000000 implements MigrationInterface {
  name = 'PayoutCorrections1764710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout
        ADD COLUMN paid_fen bigint,
        ADD COLUMN cancelled_at timestamptz,
        ADD COLUMN cancelled_by integer REFERENCES staff_account(id),
        ADD COLUMN cancel_reason text;
      UPDATE payout SET paid_fen = total_fen WHERE status = 'paid';
      ALTER TABLE payout
        DROP CONSTRAINT ck_payout_status,
        ADD CONSTRAINT ck_payout_status CHECK (status IN ('exported', 'paid', 'cancelled')),
        ADD CONSTRAINT ck_payout_paid_fen CHECK (
          (status = 'paid') = (paid_fen IS NOT NULL) AND (paid_fen IS NULL OR paid_fen BETWEEN 0 AND total_fen)),
        ADD CONSTRAINT ck_payout_cancelled CHECK (
          (status = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL
                                    AND COALESCE(length(cancel_reason), 0) > 0)),
        ADD CONSTRAINT ck_payout_four_eyes CHECK (paid_by IS NULL OR paid_by <> created_by) NOT VALID;

      CREATE TABLE payout_failed_row (
        payout_id bigint NOT NULL REFERENCES payout(id),
        funder_id integer NOT NULL REFERENCES funder(id),
        merchant_id integer NOT NULL REFERENCES merchant(id),
        amount_fen bigint NOT NULL,
        statement_ids bigint[] NOT NULL,
        reason text NOT NULL,
        recorded_by integer NOT NULL REFERENCES staff_account(id),
        recorded_at timestamptz NOT NULL,
        CONSTRAINT pk_payout_failed_row PRIMARY KEY (payout_id, funder_id, merchant_id),
        CONSTRAINT ck_payout_failed_row_amount CHECK (amount_fen > 0),
        CONSTRAINT ck_payout_failed_row_reason CHECK (length(reason) > 0)
      );

      CREATE TRIGGER tr_payout_final BEFORE UPDATE ON payout
        FOR EACH ROW WHEN (OLD.status <> 'exported')
        EXECUTE FUNCTION refuse_change('a paid or cancelled payout is final');
      CREATE TRIGGER tr_payout_no_delete BEFORE DELETE ON payout
        FOR EACH ROW EXECUTE FUNCTION refuse_change('payouts are never deleted');
      CREATE TRIGGER tr_payout_failed_row_fixed BEFORE UPDATE OR DELETE ON payout_failed_row
        FOR EACH ROW EXECUTE FUNCTION refuse_change('a failed transfer is recorded for good');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tr_payout_failed_row_fixed ON payout_failed_row;
      DROP TRIGGER tr_payout_no_delete ON payout;
      DROP TRIGGER tr_payout_final ON payout;
      DROP TABLE payout_failed_row;
      ALTER TABLE payout
        DROP CONSTRAINT ck_payout_four_eyes,
        DROP CONSTRAINT ck_payout_cancelled,
        DROP CONSTRAINT ck_payout_paid_fen,
        DROP CONSTRAINT ck_payout_status,
        ADD CONSTRAINT ck_payout_status CHECK (status IN ('exported', 'paid')),
        DROP COLUMN cancel_reason,
        DROP COLUMN cancelled_by,
        DROP COLUMN cancelled_at,
        DROP COLUMN paid_fen;
    `);
  }
}
