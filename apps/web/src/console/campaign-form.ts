import { isoToLocalInput, localInputToIso } from '../shared/dates';
import { parseYuanToFen, shortYuan } from '../shared/money';
import type { Campaign } from '../shared/types';

/** The campaign form (create and edit) and the body the API takes. */
export interface CampaignFormState {
  name: string;
  description: string;
  startsAt: string;
  endsAt: string;
  budget: string;
  shares: { funderId: number; percent: string }[];
}

export function newCampaignForm(now = Date.now()): CampaignFormState {
  return {
    name: '',
    description: '',
    startsAt: isoToLocalInput(now),
    endsAt: isoToLocalInput(now + 60 * 86400_000),
    budget: '',
    shares: [{ funderId: 0, percent: '100' }],
  };
}

export function campaignToForm(c: Campaign): CampaignFormState {
  return {
    name: c.name,
    description: c.description ?? '',
    startsAt: isoToLocalInput(c.startsAt, true),
    endsAt: isoToLocalInput(c.endsAt, true),
    budget: shortYuan(c.budgetFen),
    // Basis points read like fen: 7000 -> "70", 3333 -> "33.33".
    shares: c.funders.map((f) => ({ funderId: f.funderId, percent: shortYuan(f.shareBp) })),
  };
}

/** The sum of the shares in basis points (10000 = 100%); unreadable ones count as 0. */
export function shareTotalBp(f: CampaignFormState): number {
  return f.shares.reduce((s, x) => {
    const p = parseYuanToFen(x.percent, { max: 10_000, what: '比例' });
    return s + (p.ok ? p.fen : 0);
  }, 0);
}

/** The API body; throws an Error with a sentence for what cannot be read. */
export function campaignBody(f: CampaignFormState) {
  if (f.name.trim().length < 2) throw new Error('请填写活动名称（至少 2 个字）');
  const budget = parseYuanToFen(f.budget, { max: 1e15, what: '活动预算' });
  if (!budget.ok) throw new Error(budget.reason);
  const funders = [];
  for (const s of f.shares) {
    // "70" percent is 7000 basis points: the same two-decimal reading as yuan to fen.
    const bp = parseYuanToFen(s.percent, { max: 10_000, what: '出资比例' });
    if (!bp.ok) throw new Error(bp.reason);
    if (!s.funderId) throw new Error('请选择出资方');
    funders.push({ funderId: s.funderId, shareBp: bp.fen });
  }
  if (shareTotalBp(f) !== 10_000) throw new Error('各出资方比例之和必须为 100%');
  return {
    name: f.name.trim(),
    description: f.description,
    startsAt: localInputToIso(f.startsAt),
    endsAt: localInputToIso(f.endsAt),
    budgetFen: budget.fen,
    funders,
  };
}
