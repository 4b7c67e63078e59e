import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Aggregates behind the leverage and programme reports, so a report over ten million redemptions
 * reads thousands of rows, not millions. Kept up to date incrementally from the outbox (redemptions,
 * reversals, amendments) and, for claims, by a job that recounts vouchers of recent days.
 *
 * Redemption measures are attributed to the redemption's own business day and hour (a cohort view):
 * a refund days later changes the figures of the day the voucher was used.
 *
 * Two grains per measure family: hourly without the merchant (day, hour, campaign, district,
 * category...) and daily with the merchant. Funder tables carry each funder's part of the subsidy
 * and its pro-rata share of the consumption driven.
 */
export class ReportingAggregates1764500100000 implements MigrationInterface {
  name = 'ReportingAggregates1764500100000';

  async up(q: QueryRunner): Promise<void> {
    const redemptionMeasures = `
        redemption_count bigint NOT NULL DEFAULT 0,
        reversed_count bigint NOT NULL DEFAULT 0,
        discount_fen bigint NOT NULL DEFAULT 0,
        reversed_discount_fen bigint NOT NULL DEFAULT 0,
        order_fen bigint NOT NULL DEFAULT 0,
        net_order_fen bigint NOT NULL DEFAULT 0,
        refund_count bigint NOT NULL DEFAULT 0,
        refund_fen bigint NOT NULL DEFAULT 0`;
    const funderMeasures = `
        redemption_count bigint NOT NULL DEFAULT 0,
        reversed_count bigint NOT NULL DEFAULT 0,
        subsidy_fen bigint NOT NULL DEFAULT 0,
        reversed_subsidy_fen bigint NOT NULL DEFAULT 0,
        driven_fen bigint NOT NULL DEFAULT 0`;
    await q.query(`
      CREATE TABLE rpt_redemption_hourly (
        day date NOT NULL,
        hour smallint NOT NULL,
        campaign_id integer NOT NULL,
        batch_id integer NOT NULL,
        district text NOT NULL,
        category text NOT NULL,
        ${redemptionMeasures},
        CONSTRAINT pk_rpt_redemption_hourly PRIMARY KEY (day, hour, campaign_id, batch_id, district, category)
      );
      CREATE TABLE rpt_redemption_merchant_daily (
        day date NOT NULL,
        campaign_id integer NOT NULL,
        batch_id integer NOT NULL,
        merchant_id integer NOT NULL,
        district text NOT NULL,
        category text NOT NULL,
        ${redemptionMeasures},
        CONSTRAINT pk_rpt_redemption_merchant_daily PRIMARY KEY (day, campaign_id, batch_id, merchant_id, district, category)
      );
      CREATE TABLE rpt_funder_hourly (
        day date NOT NULL,
        hour smallint NOT NULL,
        campaign_id integer NOT NULL,
        batch_id integer NOT NULL,
        funder_id integer NOT NULL,
        district text NOT NULL,
        category text NOT NULL,
        ${funderMeasures},
        CONSTRAINT pk_rpt_funder_hourly PRIMARY KEY (day, hour, campaign_id, batch_id, funder_id, district, category)
      );
      CREATE TABLE rpt_funder_merchant_daily (
        day date NOT NULL,
        campaign_id integer NOT NULL,
        batch_id integer NOT NULL,
        funder_id integer NOT NULL,
        merchant_id integer NOT NULL,
        district text NOT NULL,
        category text NOT NULL,
        ${funderMeasures},
        CONSTRAINT pk_rpt_funder_merchant_daily PRIMARY KEY (day, campaign_id, batch_id, funder_id, merchant_id, district, category)
      );
      -- Claims (face value issued), recounted from vouchers by a job for the days that can still change.
      CREATE TABLE rpt_claim_hourly (
        day date NOT NULL,
        hour smallint NOT NULL,
        campaign_id integer NOT NULL,
        batch_id integer NOT NULL,
        claimed_count bigint NOT NULL DEFAULT 0,
        issued_fen bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_rpt_claim_hourly PRIMARY KEY (day, hour, campaign_id, batch_id)
      );
      CREATE TABLE rpt_refresh_state (
        name text PRIMARY KEY,
        -- The first business day the next refresh recounts.
        from_day date,
        refreshed_at timestamptz NOT NULL
      );
      CREATE INDEX ix_voucher_claimed_at ON voucher (claimed_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX ix_voucher_claimed_at;
      DROP TABLE rpt_refresh_state;
      DROP TABLE rpt_claim_hourly;
      DROP TABLE rpt_funder_merchant_daily;
      DROP TABLE rpt_funder_hourly;
      DROP TABLE rpt_redemption_merchant_daily;
      DROP TABLE rpt_redemption_hourly;
    `);
  }
}
