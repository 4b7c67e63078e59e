import { ref } from 'vue';
import { createSession } from '../shared/session';
import type { Merchant, StaffUser } from '../shared/types';

export const { session, api } = createSession<StaffUser>('merchant');

export const MERCHANT_ROLES = ['cashier', 'merchant_owner'];

export const isOwner = () => session.state.user?.role === 'merchant_owner';

/** The signed-in owner's merchant (GET /my/merchant): its review status decides what the page offers. */
export const myMerchant = ref<Merchant | null>(null);
let loading: Promise<Merchant> | null = null;

export function loadMyMerchant(force = false): Promise<Merchant> {
  if (myMerchant.value && !force) return Promise.resolve(myMerchant.value);
  loading ??= api
    .get<Merchant>('/my/merchant')
    .then((m) => (myMerchant.value = m))
    .finally(() => (loading = null));
  return loading;
}

/** Pending or rejected: nothing to sell yet, so the owner sees the review's progress instead. */
export function awaitingApproval(m: Merchant | null): boolean {
  return m?.status === 'pending' || m?.status === 'rejected';
}

session.onSignOut(() => {
  myMerchant.value = null;
});
