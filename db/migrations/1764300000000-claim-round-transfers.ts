import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Roll-over of unclaimed quota between rounds, kept honest in the database:
 * - claim_round.carried_out: quota this round handed to another round, so a unit of quota is never
 *   counted in two rounds (issued + carried_out <= quota + carried_in);
 * - claim_round_make_room(round, rows): called by the claim writer, in the transaction that inserts
 *   `rows` vouchers of `round`, when the Redis gate let the round use quota left by other rounds.
 *   It moves exactly the missing quota (earlier rounds first, latest first) and only when the batch
 *   rolls over unclaimed quota. It locks the batch row first, like the voucher insert trigger.
 * - an index for quota recycling (expired vouchers whose quota was not returned yet).
 */
export class ClaimRoundTransfers1764300000000 implements MigrationInterface {
  name = 'ClaimRoundTransfers1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE claim_round ADD COLUMN carried_out integer NOT NULL DEFAULT 0;
      ALTER TABLE claim_round DROP CONSTRAINT ck_claim_round_issued_within_quota;
      ALTER TABLE claim_round ADD CONSTRAINT ck_claim_round_issued_within_quota CHECK (
        issued_count >= 0 AND carried_out >= 0 AND issued_count + carried_out <= quota + carried_in);

      CREATE FUNCTION claim_round_make_room(p_round integer, p_rows integer) RETURNS integer
      LANGUAGE plpgsql AS $$
      DECLARE
        target claim_round%ROWTYPE;
        rolls boolean;
        need integer;
        moved integer := 0;
        take integer;
        src record;
      BEGIN
        SELECT * INTO target FROM claim_round WHERE id = p_round;
        IF NOT FOUND THEN RETURN 0; END IF;
        SELECT roll_over_unclaimed INTO rolls FROM voucher_batch WHERE id = target.batch_id FOR UPDATE;
        IF NOT rolls THEN RETURN 0; END IF;
        PERFORM 1 FROM claim_round WHERE batch_id = target.batch_id ORDER BY seq FOR UPDATE;
        SELECT * INTO target FROM claim_round WHERE id = p_round;
        need := target.issued_count + target.carried_out + p_rows - target.quota - target.carried_in;
        IF need <= 0 THEN RETURN 0; END IF;
        FOR src IN
          SELECT id, quota + carried_in - carried_out - issued_count AS free FROM claim_round
           WHERE batch_id = target.batch_id AND id <> p_round
             AND quota + carried_in - carried_out - issued_count > 0
           ORDER BY seq > target.seq, CASE WHEN seq < target.seq THEN -seq ELSE seq END
        LOOP
          take := LEAST(src.free, need - moved);
          UPDATE claim_round SET carried_out = carried_out + take WHERE id = src.id;
          moved := moved + take;
          EXIT WHEN moved >= need;
        END LOOP;
        IF moved > 0 THEN
          UPDATE claim_round SET carried_in = carried_in + moved WHERE id = p_round;
        END IF;
        RETURN moved;
      END $$;

      CREATE INDEX ix_voucher_expired_unreturned ON voucher (batch_id, id)
        WHERE status = 'expired' AND NOT quota_returned;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX ix_voucher_expired_unreturned;
      DROP FUNCTION claim_round_make_room(integer, integer);
      ALTER TABLE claim_round DROP CONSTRAINT ck_claim_round_issued_within_quota;
      ALTER TABLE claim_round DROP COLUMN carried_out;
      ALTER TABLE claim_round ADD CONSTRAINT ck_claim_round_issued_within_quota CHECK (
        issued_count >= 0 AND issued_count <= quota + carried_in);
    `);
  }
}
