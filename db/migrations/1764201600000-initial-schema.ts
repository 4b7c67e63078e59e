import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole Jinli domain. Invariants of domain.md live here as named constraints and triggers, so
 * the database refuses what the code must never do:
 * - a batch never issues more than its quota (ck_batch_issued_within_quota, counted by a trigger);
 * - a citizen never holds more than the per-citizen limit (uq_voucher_batch_citizen_slot + trigger);
 * - a voucher has at most one live redemption (uq_redemption_live_voucher);
 * - a redemption part or reversal sits on at most one live statement line;
 * - campaign funder shares sum to 10,000 basis points once the campaign leaves draft;
 * - the audit log is append-only.
 */
export class InitialSchema1764201600000 implements MigrationInterface {
  name = 'InitialSchema1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE district (
        code text PRIMARY KEY,
        name text NOT NULL,
        CONSTRAINT uq_district_name UNIQUE (name)
      );
      CREATE TABLE category (
        code text PRIMARY KEY,
        name text NOT NULL,
        CONSTRAINT uq_category_name UNIQUE (name)
      );
      INSERT INTO district (code, name) VALUES
        ('gusu', '姑苏区'), ('wuzhong', '吴中区'), ('xiangcheng', '相城区'), ('wujiang', '吴江区'),
        ('sip', '苏州工业园区'), ('snd', '苏州高新区（虎丘区）'), ('zhangjiagang', '张家港市'),
        ('changshu', '常熟市'), ('taicang', '太仓市'), ('kunshan', '昆山市');
      INSERT INTO category (code, name) VALUES
        ('catering', '餐饮'), ('retail', '零售/商超'), ('auto', '汽车'), ('appliance', '家电'),
        ('hotel', '住宿'), ('tourism', '文旅'), ('heritage', '老字号');

      -- Issuing ------------------------------------------------------------------------------
      CREATE TABLE funder (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL,
        district text REFERENCES district(code),
        budget_fen bigint NOT NULL,
        -- Subsidy owed by live redemptions, net of reversals: the part of the budget spent.
        committed_fen bigint NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'draft',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_funder_name UNIQUE (name),
        CONSTRAINT ck_funder_kind CHECK (kind IN ('city', 'district', 'company')),
        CONSTRAINT ck_funder_status CHECK (status IN ('draft', 'published', 'paused', 'ended')),
        CONSTRAINT ck_funder_budget CHECK (budget_fen >= 0),
        CONSTRAINT ck_funder_committed_within_budget CHECK (committed_fen >= 0 AND committed_fen <= budget_fen)
      );

      CREATE TABLE campaign (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        budget_fen bigint NOT NULL,
        status text NOT NULL DEFAULT 'draft',
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_campaign_dates CHECK (ends_at > starts_at),
        CONSTRAINT ck_campaign_budget CHECK (budget_fen > 0),
        CONSTRAINT ck_campaign_status CHECK (status IN ('draft', 'published', 'paused', 'ended'))
      );

      CREATE TABLE campaign_funder (
        campaign_id integer NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        funder_id integer NOT NULL REFERENCES funder(id),
        share_bp integer NOT NULL,
        CONSTRAINT pk_campaign_funder PRIMARY KEY (campaign_id, funder_id),
        CONSTRAINT ck_campaign_funder_share CHECK (share_bp > 0 AND share_bp <= 10000)
      );
      CREATE INDEX ix_campaign_funder_funder ON campaign_funder (funder_id);

      -- Shares must sum to 100% once a campaign leaves draft; checked at commit so a transaction
      -- may rewrite the shares row by row.
      CREATE FUNCTION check_campaign_shares() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        cid integer;
        st text;
        total integer;
      BEGIN
        IF TG_TABLE_NAME = 'campaign' THEN cid := NEW.id; ELSE cid := COALESCE(NEW.campaign_id, OLD.campaign_id); END IF;
        SELECT status INTO st FROM campaign WHERE id = cid;
        IF st IS NULL OR st = 'draft' THEN RETURN NULL; END IF;
        SELECT COALESCE(sum(share_bp), 0) INTO total FROM campaign_funder WHERE campaign_id = cid;
        IF total <> 10000 THEN
          RAISE EXCEPTION 'funder shares of campaign % sum to % basis points, not 10000', cid, total
            USING ERRCODE = '23514', CONSTRAINT = 'ck_campaign_shares_sum';
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER tr_campaign_funder_shares AFTER INSERT OR UPDATE OR DELETE ON campaign_funder
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_campaign_shares();
      CREATE CONSTRAINT TRIGGER tr_campaign_shares AFTER INSERT OR UPDATE OF status ON campaign
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_campaign_shares();

      CREATE TABLE voucher_batch (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        campaign_id integer NOT NULL REFERENCES campaign(id),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        face_value_fen bigint NOT NULL,
        threshold_fen bigint NOT NULL,
        allowed_categories text[] NOT NULL DEFAULT '{}',
        allowed_districts text[] NOT NULL DEFAULT '{}',
        -- When not empty, only these merchants may redeem (on top of category and district).
        merchant_whitelist integer[] NOT NULL DEFAULT '{}',
        validity_kind text NOT NULL,
        valid_from timestamptz,
        valid_until timestamptz,
        valid_days integer,
        -- [{"start":"20:30","end":"02:00"}] in the business time zone; empty means any time.
        usage_windows jsonb NOT NULL DEFAULT '[]',
        quota integer NOT NULL,
        issued_count integer NOT NULL DEFAULT 0,
        -- Quota given back by expired, never redeemed vouchers (recycling into later rounds).
        returned_count integer NOT NULL DEFAULT 0,
        per_citizen_limit integer NOT NULL DEFAULT 1,
        vouchers_per_order integer NOT NULL DEFAULT 1,
        requires_verified boolean NOT NULL DEFAULT false,
        roll_over_unclaimed boolean NOT NULL DEFAULT true,
        recycle_expired boolean NOT NULL DEFAULT false,
        refund_policy text NOT NULL DEFAULT 'restore_if_valid',
        status text NOT NULL DEFAULT 'draft',
        published_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_batch_face_value CHECK (face_value_fen > 0),
        CONSTRAINT ck_batch_threshold CHECK (threshold_fen >= face_value_fen),
        CONSTRAINT ck_batch_validity CHECK (
          (validity_kind = 'fixed' AND valid_from IS NOT NULL AND valid_until > valid_from AND valid_days IS NULL)
          OR (validity_kind = 'relative' AND valid_days > 0 AND valid_from IS NULL AND valid_until IS NULL)),
        CONSTRAINT ck_batch_usage_windows CHECK (jsonb_typeof(usage_windows) = 'array'),
        CONSTRAINT ck_batch_quota CHECK (quota > 0),
        CONSTRAINT ck_batch_issued_within_quota CHECK (
          issued_count >= 0 AND returned_count >= 0 AND returned_count <= issued_count
          AND issued_count - returned_count <= quota),
        CONSTRAINT ck_batch_per_citizen_limit CHECK (per_citizen_limit BETWEEN 1 AND 100),
        CONSTRAINT ck_batch_vouchers_per_order CHECK (vouchers_per_order BETWEEN 1 AND 10),
        CONSTRAINT ck_batch_refund_policy CHECK (refund_policy IN ('restore_if_valid', 'void')),
        CONSTRAINT ck_batch_status CHECK (status IN ('draft', 'published', 'paused', 'ended'))
      );
      CREATE INDEX ix_voucher_batch_campaign ON voucher_batch (campaign_id);

      CREATE TABLE claim_round (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id integer NOT NULL REFERENCES voucher_batch(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        opens_at timestamptz NOT NULL,
        -- NULL: open until the next round opens (or the campaign ends).
        closes_at timestamptz,
        quota integer NOT NULL,
        -- Quota rolled in from earlier rounds and returned by expired vouchers.
        carried_in integer NOT NULL DEFAULT 0,
        issued_count integer NOT NULL DEFAULT 0,
        CONSTRAINT uq_claim_round_batch_seq UNIQUE (batch_id, seq),
        CONSTRAINT uq_claim_round_id_batch UNIQUE (id, batch_id),
        CONSTRAINT ck_claim_round_quota CHECK (quota > 0 AND carried_in >= 0),
        CONSTRAINT ck_claim_round_window CHECK (closes_at IS NULL OR closes_at > opens_at),
        CONSTRAINT ck_claim_round_issued_within_quota CHECK (issued_count >= 0 AND issued_count <= quota + carried_in)
      );

      -- Merchants ----------------------------------------------------------------------------
      CREATE TABLE merchant (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        category text NOT NULL REFERENCES category(code),
        district text NOT NULL REFERENCES district(code),
        status text NOT NULL DEFAULT 'pending',
        reject_reason text,
        contact_name text NOT NULL,
        contact_phone text NOT NULL,
        bank_account_name text NOT NULL,
        bank_name text NOT NULL,
        bank_account_no text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        reviewed_at timestamptz,
        reviewed_by integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_merchant_status CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
        CONSTRAINT ck_merchant_reject_reason CHECK (status <> 'rejected' OR length(reject_reason) > 0),
        CONSTRAINT ck_merchant_bank_account_no CHECK (bank_account_no ~ '^[0-9]{8,30}$')
      );
      CREATE INDEX ix_merchant_status ON merchant (status);

      CREATE TABLE store (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        merchant_id integer NOT NULL REFERENCES merchant(id),
        name text NOT NULL,
        district text NOT NULL REFERENCES district(code),
        address text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'active',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_store_id_merchant UNIQUE (id, merchant_id),
        CONSTRAINT ck_store_status CHECK (status IN ('active', 'closed'))
      );
      CREATE INDEX ix_store_merchant ON store (merchant_id);

      -- People -------------------------------------------------------------------------------
      CREATE TABLE citizen (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        phone text NOT NULL,
        verified boolean NOT NULL DEFAULT false,
        id_number_hash text,
        district text REFERENCES district(code),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        CONSTRAINT uq_citizen_phone UNIQUE (phone),
        CONSTRAINT uq_citizen_id_number_hash UNIQUE (id_number_hash),
        CONSTRAINT ck_citizen_phone CHECK (phone ~ '^1[3-9][0-9]{9}$'),
        CONSTRAINT ck_citizen_verified CHECK (NOT verified OR id_number_hash IS NOT NULL)
      );

      CREATE TABLE staff_account (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL,
        display_name text NOT NULL,
        phone text,
        merchant_id integer REFERENCES merchant(id),
        store_id integer,
        active boolean NOT NULL DEFAULT true,
        failed_attempts integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_staff_account_role CHECK (role IN ('operator', 'finance', 'auditor', 'merchant_owner', 'cashier')),
        CONSTRAINT ck_staff_account_merchant CHECK ((role IN ('merchant_owner', 'cashier')) = (merchant_id IS NOT NULL)),
        CONSTRAINT ck_staff_account_store CHECK ((role = 'cashier') = (store_id IS NOT NULL)),
        CONSTRAINT ck_staff_account_username CHECK (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
        CONSTRAINT fk_staff_account_store FOREIGN KEY (store_id, merchant_id) REFERENCES store (id, merchant_id)
      );
      CREATE UNIQUE INDEX uq_staff_account_username ON staff_account (lower(username));

      -- Vouchers -----------------------------------------------------------------------------
      CREATE TABLE voucher (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id integer NOT NULL,
        round_id integer NOT NULL,
        citizen_id integer NOT NULL REFERENCES citizen(id),
        -- 1..per_citizen_limit: the n-th voucher of this batch held by this citizen.
        slot smallint NOT NULL,
        status text NOT NULL DEFAULT 'claimed',
        claimed_at timestamptz NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_until timestamptz NOT NULL,
        status_changed_at timestamptz,
        -- Set when an expired voucher's quota went back to a later round (counted once).
        quota_returned boolean NOT NULL DEFAULT false,
        CONSTRAINT fk_voucher_round FOREIGN KEY (round_id, batch_id) REFERENCES claim_round (id, batch_id),
        CONSTRAINT uq_voucher_batch_citizen_slot UNIQUE (batch_id, citizen_id, slot),
        CONSTRAINT ck_voucher_slot CHECK (slot >= 1),
        CONSTRAINT ck_voucher_status CHECK (status IN ('claimed', 'redeemed', 'expired', 'void')),
        CONSTRAINT ck_voucher_validity CHECK (valid_until > valid_from),
        CONSTRAINT ck_voucher_quota_returned CHECK (NOT quota_returned OR status = 'expired')
      );
      CREATE INDEX ix_voucher_citizen ON voucher (citizen_id, batch_id);
      CREATE INDEX ix_voucher_claimed_expiry ON voucher (valid_until) WHERE status = 'claimed';

      -- Issued counts are kept by the database itself, so a voucher inserted by any path counts
      -- against the quota and the per-citizen limit, and the check constraints refuse an oversell.
      CREATE FUNCTION count_issued_vouchers() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM new_vouchers n JOIN voucher_batch b ON b.id = n.batch_id WHERE n.slot > b.per_citizen_limit) THEN
          RAISE EXCEPTION 'a voucher slot exceeds the per-citizen limit of its batch'
            USING ERRCODE = '23514', CONSTRAINT = 'ck_voucher_slot_within_limit';
        END IF;
        UPDATE voucher_batch b SET issued_count = b.issued_count + n.cnt
          FROM (SELECT batch_id, count(*)::int AS cnt FROM new_vouchers GROUP BY batch_id) n WHERE b.id = n.batch_id;
        UPDATE claim_round r SET issued_count = r.issued_count + n.cnt
          FROM (SELECT round_id, count(*)::int AS cnt FROM new_vouchers GROUP BY round_id) n WHERE r.id = n.round_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tr_voucher_count_issued AFTER INSERT ON voucher
        REFERENCING NEW TABLE AS new_vouchers FOR EACH STATEMENT EXECUTE FUNCTION count_issued_vouchers();

      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % is not allowed: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
          USING ERRCODE = '0A000';
      END $$;
      CREATE TRIGGER tr_voucher_no_delete BEFORE DELETE ON voucher
        FOR EACH ROW EXECUTE FUNCTION refuse_change('vouchers are never deleted');
      CREATE TRIGGER tr_voucher_identity_fixed BEFORE UPDATE OF batch_id, round_id, citizen_id, slot ON voucher
        FOR EACH ROW EXECUTE FUNCTION refuse_change('a voucher keeps its batch, round, owner and slot');

      -- Redemptions and refunds ----------------------------------------------------------------
      CREATE TABLE redemption (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        voucher_id bigint NOT NULL REFERENCES voucher(id),
        batch_id integer NOT NULL REFERENCES voucher_batch(id),
        campaign_id integer NOT NULL REFERENCES campaign(id),
        merchant_id integer NOT NULL,
        store_id integer NOT NULL,
        cashier_id integer NOT NULL REFERENCES staff_account(id),
        citizen_id integer NOT NULL REFERENCES citizen(id),
        order_amount_fen bigint NOT NULL,
        discount_fen bigint NOT NULL,
        -- The order amount net of partial refunds that kept the redemption (consumption driven).
        net_order_amount_fen bigint NOT NULL,
        status text NOT NULL DEFAULT 'active',
        redeemed_at timestamptz NOT NULL,
        business_day date NOT NULL,
        reversed_at timestamptz,
        CONSTRAINT fk_redemption_store FOREIGN KEY (store_id, merchant_id) REFERENCES store (id, merchant_id),
        CONSTRAINT ck_redemption_amounts CHECK (
          order_amount_fen > 0 AND discount_fen > 0 AND discount_fen <= order_amount_fen
          AND net_order_amount_fen >= 0 AND net_order_amount_fen <= order_amount_fen),
        CONSTRAINT ck_redemption_status CHECK (status IN ('active', 'reversed')),
        CONSTRAINT ck_redemption_reversed_at CHECK ((status = 'reversed') = (reversed_at IS NOT NULL))
      );
      CREATE UNIQUE INDEX uq_redemption_live_voucher ON redemption (voucher_id) WHERE status = 'active';
      CREATE INDEX ix_redemption_merchant_day ON redemption (merchant_id, business_day);
      CREATE INDEX ix_redemption_store_time ON redemption (store_id, redeemed_at);

      -- A redemption's subsidy split between the campaign's funders; parts sum to the discount.
      CREATE TABLE redemption_part (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        redemption_id bigint NOT NULL REFERENCES redemption(id),
        funder_id integer NOT NULL REFERENCES funder(id),
        merchant_id integer NOT NULL REFERENCES merchant(id),
        business_day date NOT NULL,
        amount_fen bigint NOT NULL,
        CONSTRAINT uq_redemption_part UNIQUE (redemption_id, funder_id),
        CONSTRAINT ck_redemption_part_amount CHECK (amount_fen >= 0)
      );
      CREATE INDEX ix_redemption_part_merchant_day ON redemption_part (merchant_id, business_day);

      CREATE TABLE refund (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        redemption_id bigint NOT NULL REFERENCES redemption(id),
        merchant_id integer NOT NULL,
        store_id integer NOT NULL,
        cashier_id integer NOT NULL REFERENCES staff_account(id),
        refund_amount_fen bigint NOT NULL,
        order_amount_after_fen bigint NOT NULL,
        -- reversed_restored | reversed_voided | kept
        outcome text NOT NULL,
        reason text,
        refunded_at timestamptz NOT NULL,
        business_day date NOT NULL,
        CONSTRAINT fk_refund_store FOREIGN KEY (store_id, merchant_id) REFERENCES store (id, merchant_id),
        CONSTRAINT ck_refund_amount CHECK (refund_amount_fen > 0 AND order_amount_after_fen >= 0),
        CONSTRAINT ck_refund_outcome CHECK (outcome IN ('reversed_restored', 'reversed_voided', 'kept'))
      );
      CREATE INDEX ix_refund_redemption ON refund (redemption_id);
      CREATE INDEX ix_refund_store_time ON refund (store_id, refunded_at);

      -- The claw-back of one redemption part after a reversing refund.
      CREATE TABLE reversal (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        redemption_part_id bigint NOT NULL REFERENCES redemption_part(id),
        refund_id bigint NOT NULL REFERENCES refund(id),
        funder_id integer NOT NULL REFERENCES funder(id),
        merchant_id integer NOT NULL REFERENCES merchant(id),
        business_day date NOT NULL,
        amount_fen bigint NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT uq_reversal_part UNIQUE (redemption_part_id),
        CONSTRAINT ck_reversal_amount CHECK (amount_fen >= 0)
      );

      -- Settlement -----------------------------------------------------------------------------
      CREATE TABLE settlement_run (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        from_day date NOT NULL,
        to_day date NOT NULL,
        started_by integer REFERENCES staff_account(id),
        status text NOT NULL DEFAULT 'running',
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT ck_settlement_run_days CHECK (to_day >= from_day),
        CONSTRAINT ck_settlement_run_status CHECK (status IN ('running', 'completed', 'failed'))
      );

      CREATE TABLE payout (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        status text NOT NULL DEFAULT 'exported',
        total_fen bigint NOT NULL,
        statement_count integer NOT NULL,
        created_by integer NOT NULL REFERENCES staff_account(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        paid_by integer REFERENCES staff_account(id),
        bank_reference text,
        CONSTRAINT ck_payout_status CHECK (status IN ('exported', 'paid')),
        CONSTRAINT ck_payout_paid CHECK ((status = 'paid') = (bank_reference IS NOT NULL AND paid_at IS NOT NULL))
      );

      CREATE TABLE settlement_statement (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES settlement_run(id),
        merchant_id integer NOT NULL REFERENCES merchant(id),
        funder_id integer NOT NULL REFERENCES funder(id),
        business_day date NOT NULL,
        status text NOT NULL DEFAULT 'draft',
        total_fen bigint NOT NULL DEFAULT 0,
        line_count integer NOT NULL DEFAULT 0,
        reason text,
        started_by integer REFERENCES staff_account(id),
        reviewed_by integer REFERENCES staff_account(id),
        reviewed_at timestamptz,
        payout_id bigint REFERENCES payout(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_statement_status CHECK (status IN ('draft', 'pending_review', 'approved', 'rejected', 'held', 'released', 'paid')),
        CONSTRAINT ck_statement_reason CHECK (status NOT IN ('rejected', 'held') OR length(reason) > 0),
        CONSTRAINT ck_statement_four_eyes CHECK (reviewed_by IS NULL OR started_by IS NULL OR reviewed_by <> started_by)
      );
      CREATE UNIQUE INDEX uq_statement_merchant_funder_day ON settlement_statement (merchant_id, funder_id, business_day)
        WHERE status NOT IN ('rejected', 'released');
      CREATE INDEX ix_statement_status ON settlement_statement (status, business_day);

      CREATE TABLE statement_line (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        statement_id bigint NOT NULL REFERENCES settlement_statement(id),
        kind text NOT NULL,
        redemption_part_id bigint REFERENCES redemption_part(id),
        reversal_id bigint REFERENCES reversal(id),
        amount_fen bigint NOT NULL,
        -- Lines of a rejected or released statement go back to the pool for a later run.
        released boolean NOT NULL DEFAULT false,
        CONSTRAINT ck_statement_line_kind CHECK (
          (kind = 'part' AND redemption_part_id IS NOT NULL AND reversal_id IS NULL AND amount_fen >= 0)
          OR (kind = 'reversal' AND reversal_id IS NOT NULL AND redemption_part_id IS NULL AND amount_fen <= 0))
      );
      CREATE UNIQUE INDEX uq_statement_line_part ON statement_line (redemption_part_id) WHERE kind = 'part' AND NOT released;
      CREATE UNIQUE INDEX uq_statement_line_reversal ON statement_line (reversal_id) WHERE kind = 'reversal' AND NOT released;
      CREATE INDEX ix_statement_line_statement ON statement_line (statement_id);

      -- Double-entry ledger: each journal's entries sum to zero (debits positive, credits negative).
      CREATE TABLE ledger_journal (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL,
        ref_type text NOT NULL,
        ref_id bigint NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT uq_ledger_journal_ref UNIQUE (kind, ref_type, ref_id)
      );
      CREATE TABLE ledger_entry (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        journal_id bigint NOT NULL REFERENCES ledger_journal(id),
        account text NOT NULL,
        funder_id integer REFERENCES funder(id),
        merchant_id integer REFERENCES merchant(id),
        amount_fen bigint NOT NULL,
        CONSTRAINT ck_ledger_entry_account CHECK (account IN ('funder_budget', 'funder_payable', 'merchant_receivable', 'bank')),
        CONSTRAINT ck_ledger_entry_amount CHECK (amount_fen <> 0)
      );
      CREATE INDEX ix_ledger_entry_journal ON ledger_entry (journal_id);
      CREATE INDEX ix_ledger_entry_account ON ledger_entry (account, funder_id, merchant_id);

      -- Cross-cutting --------------------------------------------------------------------------
      CREATE TABLE idempotency_record (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL DEFAULT 'in_progress',
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT pk_idempotency_record PRIMARY KEY (scope, key),
        CONSTRAINT ck_idempotency_state CHECK (state IN ('in_progress', 'done')),
        CONSTRAINT ck_idempotency_key CHECK (length(key) BETWEEN 1 AND 200)
      );

      CREATE TABLE outbox_event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic text NOT NULL,
        aggregate_id text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        published_at timestamptz
      );
      CREATE INDEX ix_outbox_event_unpublished ON outbox_event (id) WHERE published_at IS NULL;

      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_role text,
        actor_id integer,
        action text NOT NULL,
        entity_type text,
        entity_id text,
        outcome text NOT NULL DEFAULT 'ok',
        details jsonb NOT NULL DEFAULT '{}',
        request_id text,
        CONSTRAINT ck_audit_log_outcome CHECK (outcome IN ('ok', 'denied'))
      );
      CREATE INDEX ix_audit_log_at ON audit_log (at);
      CREATE INDEX ix_audit_log_entity ON audit_log (entity_type, entity_id);
      CREATE TRIGGER tr_audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION refuse_change('the audit log is append-only');
      CREATE TRIGGER tr_audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the audit log is append-only');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_log;
      DROP TABLE outbox_event;
      DROP TABLE idempotency_record;
      DROP TABLE ledger_entry;
      DROP TABLE ledger_journal;
      DROP TABLE statement_line;
      DROP TABLE settlement_statement;
      DROP TABLE payout;
      DROP TABLE settlement_run;
      DROP TABLE reversal;
      DROP TABLE refund;
      DROP TABLE redemption_part;
      DROP TABLE redemption;
      DROP TABLE voucher;
      DROP FUNCTION count_issued_vouchers();
      DROP FUNCTION refuse_change();
      DROP TABLE staff_account;
      DROP TABLE citizen;
      DROP TABLE store;
      DROP TABLE merchant;
      DROP TABLE claim_round;
      DROP TABLE voucher_batch;
      DROP TABLE campaign_funder;
      DROP TABLE campaign;
      DROP FUNCTION check_campaign_shares();
      DROP TABLE funder;
      DROP TABLE category;
      DROP TABLE district;
    `);
  }
}
