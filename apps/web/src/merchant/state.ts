import { createSession } from '../shared/session';
import type { StaffUser } from '../shared/types';

export const { session, api } = createSession<StaffUser>('merchant');

export const MERCHANT_ROLES = ['cashier', 'merchant_owner'];

export const isOwner = () => session.state.user?.role === 'merchant_owner';
