import { Injectable, Logger } from '@nestjs/common';
import { Clock, IdempotencyService, JobHandler } from '@jinli/platform';
import { PurgeIdempotencyJob } from './redemption.jobs';

/** Stored answers are kept a week: tills retry within minutes; support may look a few days back. */
export const IDEMPOTENCY_RETENTION_MS = 7 * 24 * 3600_000;

@Injectable()
export class IdempotencyPurgeService {
  private readonly log = new Logger(IdempotencyPurgeService.name);

  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly clock: Clock,
  ) {}

  @JobHandler(PurgeIdempotencyJob)
  async purge(): Promise<number> {
    const before = new Date(this.clock.nowMs() - IDEMPOTENCY_RETENTION_MS);
    let total = 0;
    for (let n = await this.idempotency.purge(before); n > 0; n = await this.idempotency.purge(before))
      total += n;
    if (total) this.log.log(`forgot ${total} idempotency records`);
    return total;
  }
}
