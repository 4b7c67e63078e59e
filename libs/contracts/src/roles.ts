/** Every role that can sign in to Jinli. */
export const Role = {
  Citizen: 'citizen',
  Operator: 'operator',
  Finance: 'finance',
  Auditor: 'auditor',
  MerchantOwner: 'merchant_owner',
  Cashier: 'cashier',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export const STAFF_ROLES = [
  Role.Operator,
  Role.Finance,
  Role.Auditor,
  Role.MerchantOwner,
  Role.Cashier,
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const MERCHANT_ROLES = [Role.MerchantOwner, Role.Cashier] as const;
