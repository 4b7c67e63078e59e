import { MigrationInterface, QueryRunner } from 'typeorm';

const SLOT_CHECK = `
        IF EXISTS (SELECT 1 FROM new_vouchers n JOIN voucher_batch b ON b.id = n.batch_id WHERE n.slot > b.per_citizen_limit) THEN
          RAISE EXCEPTION 'a voucher slot exceeds the per-citizen limit of its batch'
            USING ERRCODE = '23514', CONSTRAINT = 'ck_voucher_slot_within_limit';
        END IF;
        UPDATE voucher_batch b SET issued_count = b.issued_count + n.cnt
          FROM (SELECT batch_id, count(*)::int AS cnt FROM new_vouchers GROUP BY batch_id) n WHERE b.id = n.batch_id;`;

const COUNT_ROUNDS = `
        UPDATE claim_round r SET issued_count = r.issued_count + n.cnt
          FROM (SELECT round_id, count(*)::int AS cnt FROM new_vouchers GROUP BY round_id) n WHERE r.id = n.round_id;
        RETURN NULL;`;

/**
 * A roll-over batch's round borrows the quota other rounds left inside the statement that inserts
 * its vouchers, not in a separate call by the claim writer.
 *
 * Before, the writer called claim_round_make_room only for inserts holding a claim the Redis gate
 * had marked as borrowed (counted past the round's own quota). Concurrent inserts can commit in any
 * order: when an insert with a borrowed claim committed before an earlier one without, the room was
 * worked out from the rows committed so far (none needed yet), and the earlier insert then failed
 * the round's quota check although other rounds had quota left; its last claims were refused as
 * "round sold out". Now the counting trigger, holding the batch row's lock (taken by its first
 * UPDATE), makes room for every round of the statement that would pass its quota, from the
 * committed counts, whatever the order of commits. The room comes from other rounds as
 * claim_round_make_room takes it (earlier rounds first, latest first, then later ones): which claims
 * may count on another round's quota is the Redis gate's decision, and the database books every
 * move (carried_out of the giver, carried_in of the taker) and still refuses anything past the
 * batch's quota. A batch that does not roll over is unchanged: the round's check constraint refuses
 * the insert.
 */
export class RoundRoomInTrigger1764730000000 implements MigrationInterface {
  name = 'RoundRoomInTrigger1764730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION count_issued_vouchers() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        short record;
      BEGIN${SLOT_CHECK}
        -- Under the batch rows' locks now: each statement below sees every committed count.
        FOR short IN
          SELECT c.id, n.cnt
            FROM (SELECT round_id, count(*)::int AS cnt FROM new_vouchers GROUP BY round_id) n
            JOIN claim_round c ON c.id = n.round_id
            JOIN voucher_batch b ON b.id = c.batch_id
           WHERE b.roll_over_unclaimed AND c.issued_count + c.carried_out + n.cnt > c.quota + c.carried_in
           ORDER BY c.batch_id, c.seq
        LOOP
          PERFORM claim_round_make_room(short.id, short.cnt);
        END LOOP;${COUNT_ROUNDS}
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION count_issued_vouchers() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN${SLOT_CHECK}${COUNT_ROUNDS}
      END $$;
    `);
  }
}
