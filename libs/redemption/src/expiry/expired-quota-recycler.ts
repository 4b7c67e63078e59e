import { Injectable, Logger } from '@nestjs/common';

/**
 * Where expired, never redeemed vouchers give their quota back to later claim rounds. Claiming owns
 * that (its QuotaRecyclingService); redemption only tells it which batches just had vouchers expire.
 * Kept behind this port so the expiry job works before and after claiming's service is wired in.
 */
export abstract class ExpiredQuotaRecycler {
  /** Batches (with recycle_expired set) that have newly expired vouchers. Must be idempotent. */
  abstract recycleExpired(batchIds: number[]): Promise<void>;
}

/** Until claiming's QuotaRecyclingService is wired in: nothing is recycled (it can catch up later). */
@Injectable()
export class NoQuotaRecycling extends ExpiredQuotaRecycler {
  private readonly log = new Logger('QuotaRecycling');

  override async recycleExpired(batchIds: number[]): Promise<void> {
    if (batchIds.length) this.log.debug(`quota recycling not wired yet; batches ${batchIds.join(', ')} wait`);
  }
}
