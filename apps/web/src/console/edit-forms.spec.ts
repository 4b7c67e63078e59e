import { ApiError } from '../shared/api';
import type { Batch, Campaign } from '../shared/types';
import { batchBody, batchToForm, changedFields, roundsLocked } from './batch-form';
import { campaignBody, campaignToForm } from './campaign-form';

const batch: Batch = {
  id: 7,
  campaignId: 3,
  name: '夜间满100减30',
  description: '',
  faceValueFen: 3000,
  thresholdFen: 10000,
  allowedCategories: ['catering'],
  allowedDistricts: [],
  merchantWhitelist: [],
  validity: {
    kind: 'fixed',
    from: '2020-07-04T02:00:30.000Z',
    until: '2020-09-03T16:00:00.000Z',
    days: null,
  },
  usageWindows: [{ start: '20:30', end: '02:00' }],
  quota: 1000,
  issuedCount: 0,
  returnedCount: 0,
  perCitizenLimit: 1,
  vouchersPerOrder: 1,
  requiresVerified: false,
  rollOverUnclaimed: true,
  recycleExpired: false,
  refundPolicy: 'restore_if_valid',
  status: 'published',
  version: 4,
  rounds: [
    {
      id: 1,
      seq: 1,
      opensAt: '2020-07-04T02:00:05.000Z',
      closesAt: null,
      quota: 1000,
      carriedIn: 0,
      issuedCount: 0,
    },
  ],
};

describe('editing a batch sends only what changed', () => {
  it('finds nothing changed after a round trip through the form (seconds and fen kept exactly)', () => {
    const body = batchBody(batchToForm(batch));
    expect(body.faceValueFen).toBe(3000);
    expect(body.validity).toEqual({
      kind: 'fixed',
      from: '2020-07-04T10:00:30+08:00',
      until: '2020-09-04T00:00:00+08:00',
    });
    expect(body.rounds).toEqual([{ opensAt: '2020-07-04T10:00:05+08:00', quota: 1000 }]);
    expect(changedFields(batchBody(batchToForm(batch)), body)).toEqual({});
  });

  it('names the changed fields only, so an untouched money rule is never sent', () => {
    const form = batchToForm(batch);
    form.name = '夜间满100减30（加量）';
    form.quota = '2000';
    form.rounds[0].quota = '2000';
    form.windows.push({ start: '11:00', end: '13:00' });
    expect(changedFields(batchBody(batchToForm(batch)), batchBody(form))).toEqual({
      name: '夜间满100减30（加量）',
      quota: 2000,
      usageWindows: [
        { start: '20:30', end: '02:00' },
        { start: '11:00', end: '13:00' },
      ],
      rounds: [{ opensAt: '2020-07-04T10:00:05+08:00', quota: 2000 }],
    });
    const face = batchToForm(batch);
    face.face = '25.5';
    expect(changedFields(batchBody(batchToForm(batch)), batchBody(face))).toEqual({ faceValueFen: 2550 });
  });

  it('keeps rounds once one has opened or a voucher is claimed', () => {
    expect(roundsLocked(batch, Date.parse('2020-07-04T02:00:04Z'))).toBe(false);
    expect(roundsLocked(batch, Date.parse('2020-07-04T02:00:05Z'))).toBe(true);
    expect(roundsLocked({ ...batch, issuedCount: 1 }, 0)).toBe(true);
  });

  it('says which money rules are locked, and that a stale edit was not saved', () => {
    const locked = new ApiError(409, 'BATCH_MONEY_RULES_LOCKED', '1 voucher(s) were already claimed', {
      fields: ['faceValueFen', 'validity'],
      issuedCount: 12,
    });
    expect(locked.message).toBe(
      '已有 12 张券被市民领取，面额、有效期不能再修改（决定补贴金额的规则在领券后锁定）；名称、说明、总量、使用时段和适用范围仍可修改',
    );
    const campaignLocked = new ApiError(409, 'BATCH_MONEY_RULES_LOCKED', '', { claimedBatchIds: [7, 8] });
    expect(campaignLocked.message).toContain('活动下已有 2 个券批次被市民领取，预算和出资比例不能再修改');
    const stale = new ApiError(409, 'STALE_VERSION', '', { currentVersion: 5 });
    expect(stale.message).toBe(
      '在您编辑期间，内容已被他人修改（现为第 5 版），您的修改尚未保存：请重新载入最新内容后再改',
    );
    const invalid = new ApiError(400, 'VALIDATION_FAILED', '', [
      { field: 'rounds.0.quota', problems: ['x'] },
      { field: 'faceValueFen', problems: ['x'] },
    ]);
    expect(invalid.message).toBe('填写的内容不正确，请检查后重试：场次数量、面额');
  });
});

describe('editing a campaign', () => {
  const campaign: Campaign = {
    id: 3,
    name: '乐享美食季',
    description: '',
    startsAt: '2020-07-03T16:00:00.000Z',
    endsAt: '2020-09-03T16:00:00.000Z',
    budgetFen: 3_000_000_000,
    batchesFaceValueFen: 0,
    status: 'published',
    version: 2,
    funders: [
      { funderId: 1, name: '苏州市财政局', shareBp: 6667 },
      { funderId: 2, name: '姑苏区财政局', shareBp: 3333 },
    ],
  };

  it('reads shares and budget back exactly, and sends only the changed dates', () => {
    const form = campaignToForm(campaign);
    expect(form.shares.map((s) => s.percent)).toEqual(['66.67', '33.33']);
    expect(form.budget).toBe('30000000');
    form.endsAt = '2020-09-30T00:00';
    expect(changedFields(campaignBody(campaignToForm(campaign)), campaignBody(form))).toEqual({
      endsAt: '2020-09-30T00:00:00+08:00',
    });
  });

  it('refuses shares that do not sum to 100%', () => {
    const form = campaignToForm(campaign);
    form.shares[1].percent = '33';
    expect(() => campaignBody(form)).toThrow('各出资方比例之和必须为 100%');
  });
});
