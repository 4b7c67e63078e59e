import { Inject, Injectable, Logger } from '@nestjs/common';
import { ReconcileClaimsJob, RecycleExpiredQuotaJob } from '@jinli/claiming';
import { AppConfig, APP_CONFIG, JobDefinition, JobQueue } from '@jinli/platform';
import { ExpireVouchersJob, PurgeIdempotencyJob } from '@jinli/redemption';
import { RefreshClaimsJob } from '@jinli/reporting';
import { DailySettlementJob, ProcessOutboxJob } from '@jinli/settlement';

export interface Schedule {
  id: string;
  job: JobDefinition<Record<string, never>>;
  /** Cron pattern read in the business time zone. */
  pattern: string;
}

/** Every repeatable job of Jinli, registered (idempotently) when the worker starts. */
export const SCHEDULES: Schedule[] = [
  // Rebuild counters Redis lost; return reservations left without a voucher row.
  { id: 'claiming-reconcile', job: ReconcileClaimsJob, pattern: '* * * * *' },
  // Quota of expired, never redeemed vouchers back to a later round (the expiry job also calls it).
  { id: 'claiming-recycle-expired-quota', job: RecycleExpiredQuotaJob, pattern: '15 * * * *' },
  // Cheap (a partial index on claimed vouchers by expiry) and keeps "expired" close to the truth.
  { id: 'redemption-expire-vouchers', job: ExpireVouchersJob, pattern: '* * * * *' },
  { id: 'redemption-purge-idempotency', job: PurgeIdempotencyJob, pattern: '30 3 * * *' },
  // T+1 settlement after midnight, once the previous business day has surely ended.
  { id: 'settlement-daily', job: DailySettlementJob, pattern: '30 0 * * *' },
  // Ledger and report aggregates follow redemptions within seconds (six-field cron: seconds first).
  { id: 'outbox-process', job: ProcessOutboxJob, pattern: '*/5 * * * * *' },
  // Claims (face value issued) for the reports, recounted for the days that can still change.
  { id: 'reports-claims', job: RefreshClaimsJob, pattern: '* * * * *' },
];

@Injectable()
export class ScheduleRegistrar {
  private readonly log = new Logger(ScheduleRegistrar.name);

  constructor(
    private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async registerAll(): Promise<void> {
    for (const s of SCHEDULES) {
      await this.jobs.schedule(s.job, s.id, s.pattern, this.config.businessTimeZone, {});
      this.log.log(`schedule ${s.id}: ${s.pattern} (${this.config.businessTimeZone})`);
    }
  }
}
