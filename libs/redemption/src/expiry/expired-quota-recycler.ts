import { Injectable } from '@nestjs/common';
import { QuotaRecyclingService } from '@jinli/claiming';

/**
 * Where expired, never redeemed vouchers give their quota back to later claim rounds. Claiming owns
 * that; redemption only tells it which batches just had vouchers expire. A port, so tests (and a
 * deployment without recycling) can swap it.
 */
export abstract class ExpiredQuotaRecycler {
  /** Batches (with recycle_expired set) that have newly expired vouchers. Must be idempotent. */
  abstract recycleExpired(batchIds: number[]): Promise<void>;
}

/** Claiming's QuotaRecyclingService (its own hourly schedule catches up whatever this call misses). */
@Injectable()
export class ClaimingQuotaRecycler extends ExpiredQuotaRecycler {
  constructor(private readonly recycling: QuotaRecyclingService) {
    super();
  }

  override async recycleExpired(batchIds: number[]): Promise<void> {
    await this.recycling.recycleExpired({ batchIds });
  }
}
