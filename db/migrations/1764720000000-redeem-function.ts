import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * redeem_voucher(): every write of one redemption in one statement, so a redemption costs the API
 * two PostgreSQL round trips (one read of the facts, this call) instead of ten inside an explicit
 * transaction. On this 2-core machine a third of the API's CPU went to sending those round trips
 * over the loopback socket (docs/redemption.md, "Where the time goes").
 *
 * Called in autocommit, the statement is its own transaction. In order:
 * 1. the Idempotency-Key's in-flight lock (a transaction-scoped advisory lock); a key another request
 *    holds answers `in_progress`, a key with a stored answer answers `stored` (the caller compares
 *    the request's hash and replays it);
 * 2. the repeat guard: the citizen's scans at one store are decided one at a time (advisory lock),
 *    and a later statement under that lock sees the other's committed redemption (`repeat`);
 * 3. the guarded voucher update: only one transaction moves a voucher out of 'claimed' (`taken`);
 * 4. the redemption, its funder parts (inserted in funder id order: the commit-time funder triggers
 *    lock in that order), the outbox event, the audit entry and the stored answer (`done`).
 * The rules themselves (time windows, threshold, merchant, funders) are decided by the API from the
 * facts it read; what can change between that read and this call is re-checked here or proved by a
 * constraint (uq_redemption_live_voucher, uq_redemption_live_order, ck_funder_committed_within_budget,
 * pk_idempotency_record), and a violation rolls the whole statement back.
 */
export class RedeemFunction1764720000000 implements MigrationInterface {
  name = 'RedeemFunction1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION redeem_voucher(
        p_lock bigint, p_scope text, p_key text, p_hash text,
        p_voucher bigint, p_now timestamptz, p_batch integer, p_campaign integer, p_merchant integer,
        p_store integer, p_cashier integer, p_actor_role text, p_citizen integer,
        p_order_amount bigint, p_discount bigint, p_business_day date, p_order_ref text,
        p_funders integer[], p_amounts bigint[], p_topic text, p_event jsonb, p_body jsonb,
        p_audit jsonb, p_repeat_since timestamptz
      ) RETURNS jsonb LANGUAGE plpgsql AS $$
      DECLARE
        stored idempotency_record%ROWTYPE;
        repeat_at timestamptz;
        rid bigint;
        parts jsonb;
        body jsonb;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(p_lock) THEN
          RETURN jsonb_build_object('outcome', 'in_progress');
        END IF;
        -- A new statement, a new snapshot: an answer committed before the lock was free is seen.
        SELECT * INTO stored FROM idempotency_record WHERE scope = p_scope AND key = p_key;
        IF FOUND THEN
          RETURN jsonb_build_object('outcome', 'stored', 'hash', stored.request_hash,
            'status', stored.response_status, 'body', stored.response_body);
        END IF;

        IF p_repeat_since IS NOT NULL THEN
          PERFORM pg_advisory_xact_lock(hashtextextended('jinli-repeat:' || p_citizen || ':' || p_store, 0));
          SELECT max(redeemed_at) INTO repeat_at FROM redemption
           WHERE store_id = p_store AND citizen_id = p_citizen AND status = 'active'
             AND redeemed_at > p_repeat_since AND (order_ref IS NULL OR p_order_ref IS NULL)
             AND voucher_id <> p_voucher;
          IF repeat_at IS NOT NULL THEN
            RETURN jsonb_build_object('outcome', 'repeat', 'redeemedAt', repeat_at);
          END IF;
        END IF;

        UPDATE voucher SET status = 'redeemed', status_changed_at = p_now
         WHERE id = p_voucher AND status = 'claimed' AND valid_until > p_now;
        IF NOT FOUND THEN
          RETURN jsonb_build_object('outcome', 'taken');
        END IF;

        INSERT INTO redemption (voucher_id, batch_id, campaign_id, merchant_id, store_id, cashier_id, citizen_id,
          order_amount_fen, discount_fen, net_order_amount_fen, status, redeemed_at, business_day, order_ref)
        VALUES (p_voucher, p_batch, p_campaign, p_merchant, p_store, p_cashier, p_citizen,
          p_order_amount, p_discount, p_order_amount, 'active', p_now, p_business_day, p_order_ref)
        RETURNING id INTO rid;

        WITH p AS (
          INSERT INTO redemption_part (redemption_id, funder_id, merchant_id, business_day, amount_fen)
          SELECT rid, x.funder_id, p_merchant, p_business_day, x.amount
            FROM unnest(p_funders, p_amounts) AS x(funder_id, amount)
           ORDER BY x.funder_id
          RETURNING id, funder_id, amount_fen)
        SELECT COALESCE(jsonb_agg(jsonb_build_object('partId', p.id, 'funderId', p.funder_id,
                 'amountFen', p.amount_fen) ORDER BY p.funder_id), '[]')
          INTO parts FROM p;

        INSERT INTO outbox_event (topic, aggregate_id, payload, created_at)
        VALUES (p_topic, rid::text, p_event || jsonb_build_object('redemptionId', rid, 'parts', parts), p_now);

        body := p_body || jsonb_build_object('id', rid, 'parts', parts);
        INSERT INTO audit_log (at, actor_role, actor_id, action, entity_type, entity_id, outcome, details)
        VALUES (p_now, p_actor_role, p_cashier, 'redemption.create', 'redemption', rid::text, 'ok', p_audit);
        INSERT INTO idempotency_record (scope, key, request_hash, state, response_status, response_body,
          created_at, completed_at)
        VALUES (p_scope, p_key, p_hash, 'done', 201, body, p_now, p_now);
        RETURN jsonb_build_object('outcome', 'done', 'body', body);
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION redeem_voucher(bigint, text, text, text, bigint, timestamptz, integer,
      integer, integer, integer, integer, text, integer, bigint, bigint, date, text, integer[], bigint[],
      text, jsonb, jsonb, jsonb, timestamptz)`);
  }
}
