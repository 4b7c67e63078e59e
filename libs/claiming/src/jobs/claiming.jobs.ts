import { Injectable } from '@nestjs/common';
import { defineJob, JobHandler } from '@jinli/platform';
import { ReconciliationService } from '../reconcile/reconciliation.service';
import { QuotaRecyclingService } from '../recycling/quota-recycling.service';

/** Every minute: rebuild lost counters, return reservations left without a row, repair stale rules. */
export const ReconcileClaimsJob = defineJob<Record<string, never>>('claiming', 'reconcile');
/** Returns the quota of expired, never redeemed vouchers (batches with recycle_expired). */
export const RecycleExpiredQuotaJob = defineJob<Record<string, never>>('claiming', 'recycle-expired-quota');

/** Job handlers: decode, call the service. */
@Injectable()
export class ClaimingJobHandlers {
  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly recycling: QuotaRecyclingService,
  ) {}

  @JobHandler(ReconcileClaimsJob)
  reconcile() {
    return this.reconciliation.reconcile();
  }

  @JobHandler(RecycleExpiredQuotaJob)
  recycle() {
    return this.recycling.recycleExpired();
  }
}
