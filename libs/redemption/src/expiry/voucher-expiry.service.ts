import { Injectable, Logger } from '@nestjs/common';
import { Clock, JobHandler, TransactionRunner } from '@jinli/platform';
import { ExpireVouchersJob } from '../redemption.jobs';
import { changed } from '../redeem/sql';
import { ExpiredQuotaRecycler } from './expired-quota-recycler';

export interface ExpiryResult {
  expired: number;
  /** Batches with newly expired vouchers. */
  batchIds: number[];
  /** Those of them that recycle expired quota (handed to the recycler). */
  recycledBatchIds: number[];
}

/** Moves claimed vouchers past their validity to 'expired', a chunk per transaction. */
@Injectable()
export class VoucherExpiryService {
  private readonly log = new Logger(VoucherExpiryService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly recycler: ExpiredQuotaRecycler,
  ) {}

  @JobHandler(ExpireVouchersJob)
  async onSchedule(): Promise<ExpiryResult> {
    const result = await this.expireDue();
    if (result.expired)
      this.log.log(`expired ${result.expired} vouchers in ${result.batchIds.length} batches`);
    return result;
  }

  /**
   * Idempotent: a second run finds nothing. SKIP LOCKED steps around a voucher being redeemed right
   * now (the redemption's guarded update refuses a voucher past its validity anyway).
   */
  async expireDue(chunk = 1000, maxChunks = 1000): Promise<ExpiryResult> {
    const now = this.clock.now();
    const batches = new Set<number>();
    let expired = 0;
    for (let i = 0; i < maxChunks; i++) {
      const rows = await this.tx.run((m) =>
        changed<{ batch_id: number }>(
          m,
          `WITH due AS (
             SELECT id FROM voucher WHERE status = 'claimed' AND valid_until <= $1
              ORDER BY valid_until LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE voucher v SET status = 'expired', status_changed_at = $1
             FROM due WHERE v.id = due.id RETURNING v.batch_id`,
          [now, chunk],
        ),
      );
      expired += rows.length;
      for (const r of rows) batches.add(r.batch_id);
      if (rows.length < chunk) break;
    }
    const batchIds = [...batches].sort((a, b) => a - b);
    let recycledBatchIds: number[] = [];
    if (batchIds.length) {
      const rows = (await this.tx.dataSource.query(
        `SELECT id FROM voucher_batch WHERE id = ANY($1::int[]) AND recycle_expired ORDER BY id`,
        [batchIds],
      )) as { id: number }[];
      recycledBatchIds = rows.map((r) => r.id);
      if (recycledBatchIds.length) {
        try {
          await this.recycler.recycleExpired(recycledBatchIds);
        } catch (e) {
          // The vouchers are expired either way; claiming's own schedule recycles what is left.
          this.log.warn(
            `quota recycling for batches ${recycledBatchIds.join(', ')}: ${(e as Error).message}`,
          );
        }
      }
    }
    return { expired, batchIds, recycledBatchIds };
  }
}
