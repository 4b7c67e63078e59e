import { SETTLEMENT_AUDIT_CHECKS, SETTLEMENT_CHECKS } from './settlement-audit';

describe('settlement audit checks', () => {
  it('are named settlement.<invariant> and described, once each, in both shapes', () => {
    const names = SETTLEMENT_AUDIT_CHECKS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of SETTLEMENT_AUDIT_CHECKS) {
      expect(c.name).toMatch(/^settlement\.[a-z_]+$/);
      expect(c.description.length).toBeGreaterThan(20);
    }
    expect(SETTLEMENT_CHECKS.map((c) => c.name)).toEqual(names);
  });
});
