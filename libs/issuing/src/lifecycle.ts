import { LifecycleStatus } from '@jinli/contracts';
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
