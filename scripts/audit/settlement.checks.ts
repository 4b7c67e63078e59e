import { SETTLEMENT_CHECKS } from '@jinli/settlement';
import { AuditCheck } from './types';

/**
 * Invariants of settlement (issue 5): the ledger balances and matches the statements, statement totals
 * equal their lines, parts and reversals are settled once, budgets agree with parts and the ledger,
 * no part is left in the pool by a daily run, payouts match their statements; and a warning listing
 * claw-backs still owed. Defined with their SQL in libs/settlement (also served at
 * GET /api/v1/settlement/audit).
 */
export const SETTLEMENT_AUDIT_CHECKS: AuditCheck[] = SETTLEMENT_CHECKS;
