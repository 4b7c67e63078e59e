import { defineEvent } from '@jinli/platform';

/** A batch (or its campaign) changed status, rounds or quota: claim gates reload it. */
export const BatchChanged = defineEvent<{ batchId: number }>('issuing.batch_changed');
