import { isoToLocalInput, localInputToIso } from '../shared/dates';
import { parseYuanToFen, shortYuan } from '../shared/money';
import type { Batch } from '../shared/types';

/**
 * The batch form (create and edit): what the operator types, and the body the API takes. Editing
 * sends only what changed (with the version edited), so an untouched money rule is never "changed"
 * by a round trip through the form, and the server's lock names only what the operator did change.
 */
export interface BatchFormState {
  name: string;
  description: string;
  face: string;
  threshold: string;
  categories: string[];
  districts: string[];
  validityKind: 'relative' | 'fixed';
  validDays: string;
  validFrom: string;
  validUntil: string;
  windows: { start: string; end: string }[];
  quota: string;
  perCitizenLimit: string;
  vouchersPerOrder: string;
  requiresVerified: boolean;
  rollOverUnclaimed: boolean;
  recycleExpired: boolean;
  refundPolicy: string;
  rounds: { opensAt: string; closesAt?: string | null; quota: string }[];
}

export function newBatchForm(now = Date.now()): BatchFormState {
  return {
    name: '',
    description: '',
    face: '30',
    threshold: '100',
    categories: [],
    districts: [],
    validityKind: 'relative',
    validDays: '7',
    validFrom: isoToLocalInput(now),
    validUntil: isoToLocalInput(now + 30 * 86400_000),
    windows: [],
    quota: '10000',
    perCitizenLimit: '1',
    vouchersPerOrder: '1',
    requiresVerified: false,
    rollOverUnclaimed: true,
    recycleExpired: false,
    refundPolicy: 'restore_if_valid',
    rounds: [{ opensAt: isoToLocalInput(now + 3600_000), quota: '10000' }],
  };
}

/** A saved batch, as the form shows it for editing. */
export function batchToForm(b: Batch): BatchFormState {
  return {
    name: b.name,
    description: b.description ?? '',
    face: shortYuan(b.faceValueFen),
    threshold: shortYuan(b.thresholdFen),
    categories: [...b.allowedCategories],
    districts: [...b.allowedDistricts],
    validityKind: b.validity.kind === 'fixed' ? 'fixed' : 'relative',
    validDays: String(b.validity.days ?? 7),
    validFrom: b.validity.from ? isoToLocalInput(b.validity.from, true) : isoToLocalInput(Date.now()),
    validUntil: b.validity.until
      ? isoToLocalInput(b.validity.until, true)
      : isoToLocalInput(Date.now() + 30 * 86400_000),
    windows: b.usageWindows.map((w) => ({ ...w })),
    quota: String(b.quota),
    perCitizenLimit: String(b.perCitizenLimit),
    vouchersPerOrder: String(b.vouchersPerOrder),
    requiresVerified: b.requiresVerified,
    rollOverUnclaimed: b.rollOverUnclaimed,
    recycleExpired: b.recycleExpired,
    refundPolicy: b.refundPolicy,
    rounds: b.rounds.map((r) => ({
      opensAt: isoToLocalInput(r.opensAt, true),
      closesAt: r.closesAt,
      quota: String(r.quota),
    })),
  };
}

function int(text: string, what: string, min = 1): number {
  const t = text.trim();
  if (!/^\d{1,9}$/.test(t) || Number(t) < min) throw new Error(`${what}必须是不小于 ${min} 的整数`);
  return Number(t);
}

/** The API body of the whole form; throws an Error with a sentence for what cannot be read. */
export function batchBody(f: BatchFormState) {
  const face = parseYuanToFen(f.face, { what: '面额' });
  if (!face.ok) throw new Error(face.reason);
  const threshold = parseYuanToFen(f.threshold, { what: '门槛' });
  if (!threshold.ok) throw new Error(threshold.reason);
  if (!f.name.trim()) throw new Error('请填写券名称');
  return {
    name: f.name.trim(),
    description: f.description,
    faceValueFen: face.fen,
    thresholdFen: threshold.fen,
    allowedCategories: f.categories,
    allowedDistricts: f.districts,
    validity:
      f.validityKind === 'relative'
        ? { kind: 'relative', days: int(f.validDays, '有效天数') }
        : { kind: 'fixed', from: localInputToIso(f.validFrom), until: localInputToIso(f.validUntil) },
    usageWindows: f.windows.map((w) => ({ start: w.start, end: w.end })),
    quota: int(f.quota, '总量'),
    perCitizenLimit: int(f.perCitizenLimit, '每人限领'),
    vouchersPerOrder: int(f.vouchersPerOrder, '每单可用张数'),
    requiresVerified: f.requiresVerified,
    rollOverUnclaimed: f.rollOverUnclaimed,
    recycleExpired: f.recycleExpired,
    refundPolicy: f.refundPolicy,
    rounds: f.rounds.map((r, i) => ({
      opensAt: localInputToIso(r.opensAt),
      ...(r.closesAt ? { closesAt: r.closesAt } : {}),
      quota: int(r.quota, `第 ${i + 1} 场数量`),
    })),
  };
}

/** The keys whose values differ (compared as JSON: arrays and nested objects included). */
export function changedFields<T extends object>(before: T, after: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) out[k] = after[k];
  }
  return out;
}

/** Rounds are rewritten only before any has opened and before any claim; later, rounds are added. */
export function roundsLocked(b: Batch, now = Date.now()): boolean {
  return b.issuedCount > 0 || b.rounds.some((r) => new Date(r.opensAt).getTime() <= now);
}
