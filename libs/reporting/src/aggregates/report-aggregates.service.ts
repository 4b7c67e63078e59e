import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  addDays,
  APP_CONFIG,
  AppConfig,
  businessDayOf,
  Clock,
  TransactionRunner,
  zonedInstant,
} from '@jinli/platform';
import { OutboxBatch, OutboxProcessor, queryRows } from '@jinli/settlement';
import {
  CLAIMS_SINCE,
  FUNDER_BASE,
  FUNDER_EVENT_DELTAS,
  FUNDER_TABLES,
  PENDING_EVENTS_SQL,
  REDEMPTION_BASE,
  REDEMPTION_EVENT_DELTAS,
  REDEMPTION_TABLES,
  REPORTING_TOPICS,
  upsertSql,
} from './aggregate-sql';

const AGGREGATE_TABLES = [...REDEMPTION_TABLES, ...FUNDER_TABLES].map((t) => t.name);
const CLAIMS_LOCK = 745_201;

/**
 * Keeps the report aggregates up to date:
 * - redemptions, reversals and amendments, from the outbox (an OutboxConsumer: applied in the same
 *   transaction that marks the rows published, so exactly once);
 * - claims, by recounting the vouchers of the days that can still change (a job, every minute);
 * - a full rebuild from the base tables when needed (recovery, backfill, benchmarks).
 */
@Injectable()
export class ReportAggregatesService implements OnModuleInit {
  private readonly log = new Logger(ReportAggregatesService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly outbox: OutboxProcessor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.outbox.register({
      name: 'reporting',
      topics: REPORTING_TOPICS,
      consume: (m, batch) => this.apply(m, batch.ids, 1),
    });
  }

  /** Adds (sign 1) or takes back (sign -1) the effect of outbox rows on every aggregate. */
  async apply(m: EntityManager, eventIds: OutboxBatch['ids'], sign: 1 | -1): Promise<void> {
    if (!eventIds.length) return;
    const params = [eventIds, this.config.businessTimeZone, sign];
    await m.query(upsertSql(REDEMPTION_EVENT_DELTAS, REDEMPTION_TABLES), params);
    await m.query(upsertSql(FUNDER_EVENT_DELTAS, FUNDER_TABLES), params);
  }

  /**
   * Recomputes the redemption aggregates from the base tables. Outbox rows not yet applied are
   * taken back from the result, so applying them later lands exactly. The tables are locked first
   * (before the snapshot): outbox processing waits, reports keep reading the old figures.
   */
  async rebuild(): Promise<{ redemptionRows: number; funderRows: number }> {
    const result = await this.tx.run(async (m) => {
      await m.query(`LOCK TABLE ${AGGREGATE_TABLES.join(', ')} IN EXCLUSIVE MODE`);
      await m.query(`SET LOCAL work_mem = '256MB'`);
      // A rebuild reads every redemption (10-20 s a million on two cores): the API's 30 s statement
      // timeout is for requests, not for this job (reports keep reading the old figures meanwhile).
      await m.query(`SET LOCAL statement_timeout = 0`);
      for (const t of AGGREGATE_TABLES) await m.query(`DELETE FROM ${t}`);
      const tz = this.config.businessTimeZone;
      await m.query(upsertSql(REDEMPTION_BASE, REDEMPTION_TABLES), [tz]);
      await m.query(upsertSql(FUNDER_BASE, FUNDER_TABLES), [tz]);
      const pending = await queryRows<{ id: number }>(m, PENDING_EVENTS_SQL, [REPORTING_TOPICS]);
      await this.apply(
        m,
        pending.map((p) => p.id),
        -1,
      );
      const [counts] = await queryRows<{ redemptionRows: number; funderRows: number }>(
        m,
        `SELECT (SELECT count(*) FROM rpt_redemption_hourly)::int AS "redemptionRows",
                (SELECT count(*) FROM rpt_funder_hourly)::int AS "funderRows"`,
      );
      return counts;
    }, 'REPEATABLE READ');
    await this.refreshClaims(true);
    this.log.log(`report aggregates rebuilt: ${JSON.stringify(result)}`);
    return result;
  }

  /**
   * Recounts claims per day and hour from the first day that can still change (yesterday, once
   * caught up: a claim committing just after midnight keeps yesterday's claimed_at).
   */
  async refreshClaims(full = false): Promise<{ fromDay: string | null }> {
    const tz = this.config.businessTimeZone;
    return this.tx.run(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [CLAIMS_LOCK]);
      const [state] = await queryRows<{ fromDay: string | null }>(
        m,
        `SELECT from_day AS "fromDay" FROM rpt_refresh_state WHERE name = 'claims'`,
      );
      const fromDay = full ? null : (state?.fromDay ?? null);
      if (fromDay) await m.query(`DELETE FROM rpt_claim_hourly WHERE day >= $1`, [fromDay]);
      else await m.query(`DELETE FROM rpt_claim_hourly`);
      const since = fromDay ? zonedInstant(fromDay, '00:00', tz) : new Date(0);
      await m.query(CLAIMS_SINCE, [since, tz]);
      const now = this.clock.now();
      await m.query(
        `INSERT INTO rpt_refresh_state (name, from_day, refreshed_at) VALUES ('claims', $1, $2)
         ON CONFLICT (name) DO UPDATE SET from_day = excluded.from_day, refreshed_at = excluded.refreshed_at`,
        [addDays(businessDayOf(now, tz), -1), now],
      );
      return { fromDay };
    });
  }

  async claimsRefreshedAt(): Promise<Date | null> {
    const [row] = await queryRows<{ at: Date }>(
      this.tx.dataSource.manager,
      `SELECT refreshed_at AS at FROM rpt_refresh_state WHERE name = 'claims'`,
    );
    return row?.at ?? null;
  }
}
