import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the money trail: rows are never deleted, and TRUNCATE (which skips row triggers) is refused. */
const KEPT = [
  'voucher',
  'redemption',
  'redemption_part',
  'refund',
  'reversal',
  'settlement_statement',
  'statement_line',
  'payout',
  'payout_failed_row',
  'ledger_journal',
  'ledger_entry',
];

/** Tables that had no row-level delete refusal yet (the others have tr_*_no_delete or tr_*_fixed). */
const NO_DELETE = ['redemption', 'refund', 'ledger_journal', 'ledger_entry'];

/**
 * The database guards the comments promised:
 * - a released statement line stays released: its item went back to the pool and may sit on a new
 *   line, so making it live again would settle it twice (only live -> released is a change);
 * - TRUNCATE is refused on every table of the money trail (statement-level triggers: TRUNCATE skips
 *   the row-level "never deleted" ones), and rows of redemption, refund and the ledger are never
 *   deleted either. A benchmark that empties its own database disables these triggers by name;
 * - a reversal carries exactly its part's funder, merchant and amount (the committed-budget
 *   triggers add the part and subtract the reversal), and a part keeps its redemption, merchant and day.
 */
export class SettlementGuards1764710100000 implements MigrationInterface {
  name = 'SettlementGuards1764710100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TRIGGER tr_statement_line_stays_released BEFORE UPDATE OF released ON statement_line
        FOR EACH ROW WHEN (OLD.released AND NOT NEW.released)
        EXECUTE FUNCTION refuse_change('a released line never becomes live again');

      CREATE FUNCTION check_reversal_matches_part() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM redemption_part p
                        WHERE p.id = NEW.redemption_part_id AND p.funder_id = NEW.funder_id
                          AND p.merchant_id = NEW.merchant_id AND p.amount_fen = NEW.amount_fen) THEN
          RAISE EXCEPTION 'reversal of part % must carry the part''s funder, merchant and amount', NEW.redemption_part_id
            USING ERRCODE = '23514', CONSTRAINT = 'ck_reversal_matches_part';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER tr_reversal_matches_part
        BEFORE INSERT OR UPDATE OF redemption_part_id, funder_id, merchant_id, amount_fen ON reversal
        FOR EACH ROW EXECUTE FUNCTION check_reversal_matches_part();
      CREATE TRIGGER tr_redemption_part_identity_fixed
        BEFORE UPDATE OF redemption_id, merchant_id, business_day ON redemption_part
        FOR EACH ROW EXECUTE FUNCTION refuse_change('a part keeps its redemption, merchant and day');
    `);
    for (const table of NO_DELETE)
      await q.query(
        `CREATE TRIGGER tr_${table}_no_delete BEFORE DELETE ON ${table}
           FOR EACH ROW EXECUTE FUNCTION refuse_change('${table} rows are never deleted')`,
      );
    for (const table of KEPT)
      await q.query(
        `CREATE TRIGGER tr_${table}_no_truncate BEFORE TRUNCATE ON ${table}
           FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('${table} rows are never deleted')`,
      );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [...KEPT].reverse())
      await q.query(`DROP TRIGGER tr_${table}_no_truncate ON ${table}`);
    for (const table of [...NO_DELETE].reverse())
      await q.query(`DROP TRIGGER tr_${table}_no_delete ON ${table}`);
    await q.query(`
      DROP TRIGGER tr_redemption_part_identity_fixed ON redemption_part;
      DROP TRIGGER tr_reversal_matches_part ON reversal;
      DROP FUNCTION check_reversal_matches_part();
      DROP TRIGGER tr_statement_line_stays_released ON statement_line;
    `);
  }
}
