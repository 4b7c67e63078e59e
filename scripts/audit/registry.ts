import { CLAIMING_CHECKS } from './claiming.checks';
import { REDEMPTION_CHECKS } from './redemption.checks';
import { SETTLEMENT_AUDIT_CHECKS } from './settlement.checks';
import { AuditCheck, AuditContext, AuditViolation } from './types';

export * from './types';

/**
 * Every invariant `npm run audit` checks. Each context adds its own list here
 * (scripts/audit/<context>.checks.ts).
 */
export const AUDIT_CHECKS: AuditCheck[] = [
  ...CLAIMING_CHECKS,
  ...REDEMPTION_CHECKS,
  ...SETTLEMENT_AUDIT_CHECKS,
];

export interface AuditReport {
  checks: { name: string; description: string; violations: number; error?: string }[];
  violations: AuditViolation[];
  ok: boolean;
}

/** Runs every check; a check that throws counts as failed (the report says why). */
export async function runAudit(ctx: AuditContext, checks: AuditCheck[] = AUDIT_CHECKS): Promise<AuditReport> {
  const report: AuditReport = { checks: [], violations: [], ok: true };
  for (const check of checks) {
    try {
      const found = await check.run(ctx);
      report.checks.push({ name: check.name, description: check.description, violations: found.length });
      report.violations.push(...found);
      if (found.length) report.ok = false;
    } catch (e) {
      report.checks.push({
        name: check.name,
        description: check.description,
        violations: 0,
        error: (e as Error).message,
      });
      report.ok = false;
    }
  }
  return report;
}

export function formatReport(report: AuditReport): string {
  const lines = ['Jinli audit', ''];
  for (const c of report.checks) {
    const state = c.error ? `ERROR ${c.error}` : c.violations ? `${c.violations} violation(s)` : 'ok';
    lines.push(`  ${c.violations || c.error ? '✗' : '✓'} ${c.name}: ${state}`);
    lines.push(`      ${c.description}`);
  }
  if (report.violations.length) {
    lines.push('', 'Violations:');
    for (const v of report.violations) lines.push(`  - [${v.check}] ${v.subject}: ${v.message}`);
  }
  lines.push('', report.ok ? 'All invariants hold.' : 'INVARIANTS VIOLATED');
  return lines.join('\n');
}
