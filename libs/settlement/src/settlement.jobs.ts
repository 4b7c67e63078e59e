import { defineJob } from '@jinli/platform';

export const SETTLEMENT_QUEUE = 'settlement';
/** Outbox processing has its own queue so long settlement chunks never delay the ledger. */
export const OUTBOX_QUEUE = 'outbox';

/** The T+1 run: after midnight, settles the window of days ending yesterday. */
export const DailySettlementJob = defineJob<Record<string, never>>(SETTLEMENT_QUEUE, 'daily-run');

/** One chunk of merchants of one run, in one transaction. The token guards against stale jobs. */
export const SettleChunkJob = defineJob<{ runId: number; seq: number; token: string }>(
  SETTLEMENT_QUEUE,
  'settle-chunk',
);

/** Posts the ledger (and feeds other consumers) from unpublished outbox rows, in id order. */
export const ProcessOutboxJob = defineJob<Record<string, never>>(OUTBOX_QUEUE, 'process-outbox');

/**
 * The job id of a chunk: run id and chunk number, plus the run's token so a reused run id (restored
 * database, surviving Redis) never collides with an old job. Adding it twice adds it once.
 */
export function chunkJobId(run: { id: number; token: string }, seq: number): string {
  return `settle-${run.id}-${seq}-${run.token.slice(0, 8)}`;
}
