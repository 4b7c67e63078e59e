/** Shapes the pages read from the API (mirrors of the server's views; money in integer fen). */

export interface StaffUser {
  id: number;
  username: string;
  role: string;
  displayName: string;
  merchantId: number | null;
  storeId: number | null;
}

export interface CitizenUser {
  id: number;
  phoneMasked: string;
  verified: boolean;
}

export interface SignInAnswer<U> {
  accessToken: string;
  expiresAt: string;
  staff?: U;
  citizen?: U;
}

export interface Funder {
  id: number;
  name: string;
  kind: string;
  district: string | null;
  budgetFen: number;
  allocatedFen: number;
  committedFen: number;
  status: string;
  version?: number;
}

export interface Campaign {
  id: number;
  name: string;
  description: string;
  startsAt: string;
  endsAt: string;
  budgetFen: number;
  batchesFaceValueFen: number;
  status: string;
  version: number;
  funders: { funderId: number; name: string; shareBp: number }[];
}

export interface Round {
  id: number;
  seq: number;
  opensAt: string;
  closesAt: string | null;
  quota: number;
  carriedIn: number;
  issuedCount: number;
}

export interface UsageWindow {
  start: string;
  end: string;
}

export interface Batch {
  id: number;
  campaignId: number;
  name: string;
  description: string;
  faceValueFen: number;
  thresholdFen: number;
  allowedCategories: string[];
  allowedDistricts: string[];
  merchantWhitelist: number[];
  validity: { kind: string; from: string | null; until: string | null; days: number | null };
  usageWindows: UsageWindow[];
  quota: number;
  issuedCount: number;
  returnedCount: number;
  perCitizenLimit: number;
  vouchersPerOrder: number;
  requiresVerified: boolean;
  rollOverUnclaimed: boolean;
  recycleExpired: boolean;
  refundPolicy: string;
  status: string;
  version: number;
  rounds: Round[];
}

export interface Store {
  id: number;
  merchantId: number;
  name: string;
  district: string;
  address: string;
  status: string;
}

export interface Merchant {
  id: number;
  name: string;
  category: string;
  district: string;
  status: string;
  rejectReason: string | null;
  contactName: string;
  contactPhoneMasked: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNoMasked: string;
  appliedAt: string;
  reviewedAt: string | null;
  stores: Store[];
}

/** A merchant's staff account as its owner sees it (GET /my/merchant/staff). */
export interface StaffMember {
  id: number;
  username: string;
  role: string;
  displayName: string;
  phoneMasked: string;
  merchantId: number | null;
  storeId: number | null;
  active: boolean;
}

export interface Page<T> {
  total: number;
  items: T[];
}
