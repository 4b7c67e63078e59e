import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A payout records the downloads of its bank file, so cancelling one whose file may already be at
 * the bank (its statements would go into the next payout: merchants paid twice) takes an explicit
 * confirmation.
 * - `file_downloaded_at` (first download) and `file_download_count`: set together, and they only
 *   grow (`tr_payout_downloads_grow`), so the record cannot be wiped to cancel without confirming.
 * - a paid payout is still final except for its download record (its file may be downloaded again);
 *   a cancelled one has no file and stays final in every column. Same message as before.
 * Down drops the record; the audit log keeps every download (`payout.export`).
 */
export class PayoutFileDownloads1764740000000 implements MigrationInterface {
  name = 'PayoutFileDownloads1764740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout
        ADD COLUMN file_downloaded_at timestamptz,
        ADD COLUMN file_download_count integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT ck_payout_file_downloads CHECK (
          file_download_count >= 0 AND (file_download_count = 0) = (file_downloaded_at IS NULL));

      CREATE TRIGGER tr_payout_downloads_grow BEFORE UPDATE OF file_downloaded_at, file_download_count ON payout
        FOR EACH ROW WHEN (NEW.file_download_count < OLD.file_download_count
                           OR (OLD.file_downloaded_at IS NOT NULL
                               AND NEW.file_downloaded_at IS DISTINCT FROM OLD.file_downloaded_at))
        EXECUTE FUNCTION refuse_change('the downloads of a payout''s bank file are recorded for good');

      CREATE FUNCTION payout_final() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.status = 'paid'
           AND to_jsonb(NEW) - 'file_downloaded_at' - 'file_download_count'
             = to_jsonb(OLD) - 'file_downloaded_at' - 'file_download_count' THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION '% on % is not allowed: %', TG_OP, TG_TABLE_NAME, 'a paid or cancelled payout is final'
          USING ERRCODE = '0A000';
      END $$;
      DROP TRIGGER tr_payout_final ON payout;
      CREATE TRIGGER tr_payout_final BEFORE UPDATE ON payout
        FOR EACH ROW WHEN (OLD.status <> 'exported') EXECUTE FUNCTION payout_final();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tr_payout_final ON payout;
      DROP FUNCTION payout_final();
      CREATE TRIGGER tr_payout_final BEFORE UPDATE ON payout
        FOR EACH ROW WHEN (OLD.status <> 'exported')
        EXECUTE FUNCTION refuse_change('a paid or cancelled payout is final');
      DROP TRIGGER tr_payout_downloads_grow ON payout;
      ALTER TABLE payout
        DROP CONSTRAINT ck_payout_file_downloads,
        DROP COLUMN file_download_count,
        DROP COLUMN file_downloaded_at;
    `);
  }
}
