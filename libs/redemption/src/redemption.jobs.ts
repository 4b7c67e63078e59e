import { defineJob } from '@jinli/platform';

/** Expires claimed vouchers past their validity, in batches (idempotent). */
export const ExpireVouchersJob = defineJob<Record<string, never>>('redemption', 'expire-vouchers');
/** Forgets stored Idempotency-Key answers older than a week. */
export const PurgeIdempotencyJob = defineJob<Record<string, never>>('redemption', 'purge-idempotency');
