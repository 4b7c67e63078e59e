import { createSession } from '../shared/session';
import type { StaffUser } from '../shared/types';

export const { session, api } = createSession<StaffUser>('console');

export const CONSOLE_ROLES = ['operator', 'finance', 'auditor'];

export function hasRole(...roles: string[]): boolean {
  return !!session.state.user && roles.includes(session.state.user.role);
}

/** Where each role lands after signing in. */
export function homeFor(role: string | undefined): string {
  if (role === 'finance') return '/settlement';
  if (role === 'auditor') return '/reports';
  return '/campaigns';
}
