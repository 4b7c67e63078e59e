import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statement lines reference their statement, part and reversal without foreign keys, and what they
 * reference can never be deleted instead.
 *
 * Why: the three row-level FK checks cost two thirds of a settlement (measured on 1e6 redemptions:
 * 25 s of FK triggers for 11.5 s of set-based work). Lines are only ever written by the settlement
 * chunk statement, from the parts, reversals and statements it has just read or written in the same
 * transaction, so a dangling reference cannot be created; and with deletes of statements and lines
 * refused here (parts and reversals already refuse them: tr_redemption_part_fixed,
 * tr_reversal_fixed), none can appear later. `npm run audit` checks for orphans anyway.
 * Lines and statements also keep their amounts and keys for good (finance never edits amounts):
 * only a line's `released` flag and a statement's review fields change.
 */
export class StatementLineReferences1764500200000 implements MigrationInterface {
  name = 'StatementLineReferences1764500200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE statement_line
        DROP CONSTRAINT statement_line_statement_id_fkey,
        DROP CONSTRAINT statement_line_redemption_part_id_fkey,
        DROP CONSTRAINT statement_line_reversal_id_fkey;
      CREATE TRIGGER tr_statement_no_delete BEFORE DELETE ON settlement_statement
        FOR EACH ROW EXECUTE FUNCTION refuse_change('statements are never deleted');
      CREATE TRIGGER tr_statement_line_no_delete BEFORE DELETE ON statement_line
        FOR EACH ROW EXECUTE FUNCTION refuse_change('statement lines are never deleted');
      CREATE TRIGGER tr_statement_line_fixed
        BEFORE UPDATE OF statement_id, kind, redemption_part_id, reversal_id, amount_fen ON statement_line
        FOR EACH ROW EXECUTE FUNCTION refuse_change('a line keeps its statement, item and amount; only released changes');
      CREATE TRIGGER tr_statement_amounts_fixed
        BEFORE UPDATE OF run_id, merchant_id, funder_id, business_day, total_fen, line_count ON settlement_statement
        FOR EACH ROW EXECUTE FUNCTION refuse_change('a statement keeps its merchant, funder, day and amounts');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tr_statement_amounts_fixed ON settlement_statement;
      DROP TRIGGER tr_statement_line_fixed ON statement_line;
      DROP TRIGGER tr_statement_line_no_delete ON statement_line;
      DROP TRIGGER tr_statement_no_delete ON settlement_statement;
      ALTER TABLE statement_line
        ADD CONSTRAINT statement_line_statement_id_fkey FOREIGN KEY (statement_id) REFERENCES settlement_statement(id),
        ADD CONSTRAINT statement_line_redemption_part_id_fkey FOREIGN KEY (redemption_part_id) REFERENCES redemption_part(id),
        ADD CONSTRAINT statement_line_reversal_id_fkey FOREIGN KEY (reversal_id) REFERENCES reversal(id);
    `);
  }
}
