import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { JobHandler } from '@jinli/platform';
import { OutboxProcessor } from './outbox/outbox-processor.service';
import { SettlementRunService } from './runs/settlement-run.service';
import { DailySettlementJob, ProcessOutboxJob, SettleChunkJob } from './settlement.jobs';

/** Job handlers of settlement: decode, call the use case. */
@Injectable()
export class SettlementProcessor {
  private readonly log = new Logger(SettlementProcessor.name);

  constructor(
    private readonly runs: SettlementRunService,
    private readonly outbox: OutboxProcessor,
  ) {}

  @JobHandler(DailySettlementJob)
  async daily() {
    const run = await this.runs.startDaily();
    return { runId: run.id, fromDay: run.fromDay, toDay: run.toDay, chunks: run.chunkCount };
  }

  @JobHandler(SettleChunkJob)
  async chunk(payload: { runId: number; seq: number; token: string }, job: Job) {
    try {
      return await this.runs.settleChunk(payload.runId, payload.seq, payload.token);
    } catch (e) {
      // The chunk rolled back. When BullMQ will not try again, say so on the run.
      const attempts = job.opts?.attempts;
      if (attempts !== undefined && job.attemptsMade + 1 >= attempts) {
        this.log.error(`run ${payload.runId} chunk ${payload.seq} failed for good: ${(e as Error).message}`);
        await this.runs.markChunkFailed(payload.runId, payload.seq, (e as Error).message);
      }
      throw e;
    }
  }

  @JobHandler(ProcessOutboxJob)
  async processOutbox() {
    return { applied: await this.outbox.drain(50_000) };
  }
}
