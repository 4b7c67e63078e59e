import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A campaign records when it was first published. A funder's allocation counts a campaign only once
 * it was published (publish is where budgets are checked): a draft that is ended straight away
 * (`end` is allowed from draft) never allocated anything, and used to add its whole budget to its
 * funders' allocation unchecked, locking their budgets and every later publish.
 * Backfill: the first `campaign.publish` in the audit log, else the first batch publish (a batch can
 * only be published inside a published campaign), else, for a campaign still published or paused,
 * its creation time. An ended campaign with none of these was never published.
 * Down drops the column; allocation then counts ended drafts again.
 */
export class CampaignPublishedAt1764750000000 implements MigrationInterface {
  name = 'CampaignPublishedAt1764750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE campaign ADD COLUMN published_at timestamptz;
      UPDATE campaign c SET published_at = COALESCE(
          (SELECT min(a.at) FROM audit_log a
            WHERE a.entity_type = 'campaign' AND a.entity_id = c.id::text
              AND a.action = 'campaign.publish' AND a.outcome = 'ok'),
          (SELECT min(b.published_at) FROM voucher_batch b WHERE b.campaign_id = c.id),
          CASE WHEN c.status IN ('published', 'paused') THEN c.created_at END)
        WHERE c.status <> 'draft';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaign DROP COLUMN published_at;`);
  }
}
