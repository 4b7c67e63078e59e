import { defineJob } from '@jinli/platform';

export const REPORTING_QUEUE = 'reporting';

/** Recounts claims (face value issued) per day and hour for the days that can still change. */
export const RefreshClaimsJob = defineJob<Record<string, never>>(REPORTING_QUEUE, 'refresh-claims');

/** Rebuilds every report aggregate from the base tables (operator-triggered; recovery, backfill). */
export const RebuildReportsJob = defineJob<Record<string, never>>(REPORTING_QUEUE, 'rebuild');
