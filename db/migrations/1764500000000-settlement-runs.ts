import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement runs fan out into per-merchant chunks (one job each, deterministic ids). A chunk row is
 * the proof a chunk committed: a chunk job that runs again sees `done` and does nothing.
 * - settlement_run gains its kind (the daily T+1 run is unique per day), a token that makes its job
 *   ids unique even if run ids are ever reused (restored database, surviving Redis), and progress.
 * - reversals are looked up per merchant and day, like redemption parts.
 * - a payout may be scoped to one funder (the paying account).
 */
export class SettlementRuns1764500000000 implements MigrationInterface {
  name = 'SettlementRuns1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE settlement_run
        ADD COLUMN kind text NOT NULL DEFAULT 'manual',
        ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid(),
        ADD COLUMN chunk_count integer NOT NULL DEFAULT 0,
        ADD COLUMN chunks_done integer NOT NULL DEFAULT 0,
        ADD COLUMN statement_count integer NOT NULL DEFAULT 0,
        ADD COLUMN line_count integer NOT NULL DEFAULT 0,
        ADD COLUMN deferred_count integer NOT NULL DEFAULT 0,
        ADD COLUMN error text,
        ADD CONSTRAINT ck_settlement_run_kind CHECK (kind IN ('daily', 'manual')),
        ADD CONSTRAINT ck_settlement_run_progress CHECK (chunks_done >= 0 AND chunks_done <= chunk_count),
        ADD CONSTRAINT ck_settlement_run_completed CHECK ((status = 'completed') = (completed_at IS NOT NULL));
      CREATE UNIQUE INDEX uq_settlement_run_daily ON settlement_run (to_day) WHERE kind = 'daily';

      CREATE TABLE settlement_chunk (
        run_id bigint NOT NULL REFERENCES settlement_run(id),
        seq integer NOT NULL,
        merchant_from integer NOT NULL,
        merchant_to integer NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        statement_count integer NOT NULL DEFAULT 0,
        line_count integer NOT NULL DEFAULT 0,
        -- Items left in the pool because their statement slot was already taken by another run.
        deferred_count integer NOT NULL DEFAULT 0,
        error text,
        completed_at timestamptz,
        CONSTRAINT pk_settlement_chunk PRIMARY KEY (run_id, seq),
        CONSTRAINT ck_settlement_chunk_status CHECK (status IN ('pending', 'done', 'failed')),
        CONSTRAINT ck_settlement_chunk_range CHECK (merchant_to >= merchant_from),
        CONSTRAINT ck_settlement_chunk_done CHECK ((status = 'done') = (completed_at IS NOT NULL))
      );

      CREATE INDEX ix_reversal_merchant_day ON reversal (merchant_id, business_day);
      CREATE INDEX ix_statement_run ON settlement_statement (run_id);
      CREATE INDEX ix_statement_payout ON settlement_statement (payout_id) WHERE payout_id IS NOT NULL;
      CREATE INDEX ix_statement_merchant ON settlement_statement (merchant_id, business_day);
      ALTER TABLE settlement_statement
        ADD CONSTRAINT ck_statement_paid_payout CHECK (status <> 'paid' OR payout_id IS NOT NULL);

      ALTER TABLE payout ADD COLUMN funder_id integer REFERENCES funder(id);
      CREATE INDEX ix_ledger_entry_funder ON ledger_entry (funder_id, account);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX ix_ledger_entry_funder;
      ALTER TABLE payout DROP COLUMN funder_id;
      ALTER TABLE settlement_statement DROP CONSTRAINT ck_statement_paid_payout;
      DROP INDEX ix_statement_merchant;
      DROP INDEX ix_statement_payout;
      DROP INDEX ix_statement_run;
      DROP INDEX ix_reversal_merchant_day;
      DROP TABLE settlement_chunk;
      DROP INDEX uq_settlement_run_daily;
      ALTER TABLE settlement_run
        DROP CONSTRAINT ck_settlement_run_completed,
        DROP CONSTRAINT ck_settlement_run_progress,
        DROP CONSTRAINT ck_settlement_run_kind,
        DROP COLUMN error,
        DROP COLUMN deferred_count,
        DROP COLUMN line_count,
        DROP COLUMN statement_count,
        DROP COLUMN chunks_done,
        DROP COLUMN chunk_count,
        DROP COLUMN token,
        DROP COLUMN kind;
    `);
  }
}
