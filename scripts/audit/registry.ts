import { CLAIMING_CHECKS } from './claiming.checks';
import { REDEMPTION_CHECKS } from './redemption.checks';
import { REPORTING_CHECKS } from './reporting.checks';
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
  ...REPORTING_CHECKS,
];

export interface AuditReport {
  checks: {
    name: string;
    description: string;
    severity: 'violation' | 'warning';
    violations: number;
    warnings: number;
    error?: string;
  }[];
  violations: AuditViolation[];
  /** Found by warning checks: reported, but the audit still passes. */
  warnings: AuditViolation[];
  ok: boolean;
}

/** Runs every check; a check that throws counts as failed (the report says why). Warnings never fail it. */
export async function runAudit(ctx: AuditContext, checks: AuditCheck[] = AUDIT_CHECKS): Promise<AuditReport> {
  const report: AuditReport = { checks: [], violations: [], warnings: [], ok: true };
  for (const check of checks) {
    const severity = check.severity ?? 'violation';
    const entry = { name: check.name, description: check.description, severity, violations: 0, warnings: 0 };
    try {
      const found = await check.run(ctx);
      if (severity === 'warning') {
        report.checks.push({ ...entry, warnings: found.length });
        report.warnings.push(...found);
      } else {
        report.checks.push({ ...entry, violations: found.length });
        report.violations.push(...found);
        if (found.length) report.ok = false;
      }
    } catch (e) {
      report.checks.push({ ...entry, error: (e as Error).message });
      report.ok = false;
    }
  }
  return report;
}

export function formatReport(report: AuditReport): string {
  const lines = ['Jinli audit', ''];
  for (const c of report.checks) {
    const state = c.error
      ? `ERROR ${c.error}`
      : c.violations
        ? `${c.violations} violation(s)`
        : c.warnings
          ? `${c.warnings} warning(s)`
          : 'ok';
    const mark = c.violations || c.error ? '✗' : c.warnings ? '!' : '✓';
    lines.push(`  ${mark} ${c.name}: ${state}`);
    lines.push(`      ${c.description}`);
  }
  if (report.violations.length) {
    lines.push('', 'Violations:');
    for (const v of report.violations) lines.push(`  - [${v.check}] ${v.subject}: ${v.message}`);
  }
  if (report.warnings.length) {
    lines.push('', 'Warnings (the audit still passes):');
    for (const v of report.warnings) lines.push(`  - [${v.check}] ${v.subject}: ${v.message}`);
  }
  lines.push('', report.ok ? 'All invariants hold.' : 'INVARIANTS VIOLATED');
  return lines.join('\n');
}
