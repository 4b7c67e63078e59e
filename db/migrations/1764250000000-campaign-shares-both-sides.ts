import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ck_campaign_shares_sum checked only the campaign a share row ends up in. Moving a share to another
 * campaign (UPDATE campaign_funder SET campaign_id = ...) left the campaign it came from short of
 * 100% without a refusal. Now an update checks the campaign on both sides.
 */
export class CampaignSharesBothSides1764250000000 implements MigrationInterface {
  name = 'CampaignSharesBothSides1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION check_campaign_shares() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ids integer[];
        cid integer;
        st text;
        total integer;
      BEGIN
        -- Record fields are resolved per statement, so each table gets its own branch.
        IF TG_TABLE_NAME = 'campaign' THEN
          ids := ARRAY[NEW.id];
        ELSIF TG_OP = 'UPDATE' AND NEW.campaign_id IS DISTINCT FROM OLD.campaign_id THEN
          ids := ARRAY[OLD.campaign_id, NEW.campaign_id];
        ELSIF TG_OP = 'DELETE' THEN
          ids := ARRAY[OLD.campaign_id];
        ELSE
          ids := ARRAY[NEW.campaign_id];
        END IF;
        FOREACH cid IN ARRAY ids
        LOOP
          SELECT status INTO st FROM campaign WHERE id = cid;
          CONTINUE WHEN st IS NULL OR st = 'draft';
          SELECT COALESCE(sum(share_bp), 0) INTO total FROM campaign_funder WHERE campaign_id = cid;
          IF total <> 10000 THEN
            RAISE EXCEPTION 'funder shares of campaign % sum to % basis points, not 10000', cid, total
              USING ERRCODE = '23514', CONSTRAINT = 'ck_campaign_shares_sum';
          END IF;
        END LOOP;
        RETURN NULL;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION check_campaign_shares() RETURNS trigger LANGUAGE plpgsql AS $$
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
    `);
  }
}
