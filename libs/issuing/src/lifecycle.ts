import { LifecycleStatus } from '@jinli/contracts';
import { EntityManager } from 'typeorm';
import { IssuingException } from './issuing.exception';

export type LifecycleAction = 'publish' | 'pause' | 'resume' | 'end';

const TRANSITIONS: Record<LifecycleAction, { from: LifecycleStatus[]; to: LifecycleStatus }> = {
  publish: { from: ['draft'], to: 'published' },
  pause: { from: ['published'], to: 'paused' },
  resume: { from: ['paused'], to: 'published' },
  end: { from: ['draft', 'published', 'paused'], to: 'ended' },
};

/** The status after an action, or a clear refusal. */
export function nextStatus(what: string, current: LifecycleStatus, action: LifecycleAction): LifecycleStatus {
  const t = TRANSITIONS[action];
  if (!t.from.includes(current)) {
    throw new IssuingException('INVALID_STATUS_TRANSITION', `Cannot ${action} a ${current} ${what}`, {
      status: current,
      action,
      allowedFrom: t.from,
    });
  }
  return t.to;
}

/**
 * Moves a locked row to a new version after an accepted edit. @VersionColumn only bumps when a column
 * of the row itself changed, so an edit of only its shares or rounds kept the version and a concurrent
 * edit at that version overwrote it silently. A no-op when the save already bumped it.
 */
export async function bumpVersion(
  m: EntityManager,
  table: 'campaign' | 'voucher_batch',
  id: number,
  lockedVersion: number,
): Promise<void> {
  await m.query(
    `UPDATE ${table} SET version = version + 1, updated_at = now() WHERE id = $1 AND version = $2`,
    [id, lockedVersion],
  );
}
