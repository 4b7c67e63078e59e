import { evaluateRedemption, RedemptionFacts } from './redemption-rules';

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}+08:00`);

function facts(
  overrides: Partial<RedemptionFacts> = {},
  batch: Partial<RedemptionFacts['batch']> = {},
): RedemptionFacts {
  return {
    voucher: {
      id: 1,
      status: 'claimed',
      validFrom: at('2020-07-01T00:00:00'),
      validUntil: at('2020-07-31T00:00:00'),
    },
    batch: {
      faceValueFen: 3000,
      thresholdFen: 10000,
      allowedCategories: [],
      allowedDistricts: [],
      merchantWhitelist: [],
      usageWindows: [],
      status: 'published',
      ...batch,
    },
    campaignStatus: 'published',
    funders: [
      { funderId: 1, shareBp: 7000, budgetFen: 1_000_000, committedFen: 0, status: 'published' },
      { funderId: 2, shareBp: 3000, budgetFen: 1_000_000, committedFen: 0, status: 'published' },
    ],
    merchant: { id: 10, category: 'catering' },
    store: { district: 'gusu' },
    ...overrides,
  };
}

const codes = (o: ReturnType<typeof evaluateRedemption>) => o.failures.map((f) => f.code);
const noon = at('2020-07-10T12:00:00');

describe('evaluateRedemption', () => {
  it('passes a valid voucher and splits the face value', () => {
    const o = evaluateRedemption(facts(), 12800, noon, TZ);
    expect(o.failures).toEqual([]);
    expect(o.discountFen).toBe(3000);
    expect(o.payableFen).toBe(9800);
    expect(o.parts).toEqual([
      { funderId: 1, amountFen: 2100 },
      { funderId: 2, amountFen: 900 },
    ]);
  });

  it('never discounts more than the order amount', () => {
    const o = evaluateRedemption(facts({}, { thresholdFen: 3000 }), 1000, noon, TZ);
    expect(o.discountFen).toBe(1000);
    expect(o.payableFen).toBe(0);
  });

  it('lists every failing rule at once, with message keys and Chinese text', () => {
    const o = evaluateRedemption(
      facts(
        { campaignStatus: 'paused', merchant: { id: 10, category: 'auto' }, store: { district: 'kunshan' } },
        {
          status: 'ended',
          allowedCategories: ['catering'],
          allowedDistricts: ['gusu'],
          merchantWhitelist: [11],
          usageWindows: [{ start: '20:30', end: '02:00' }],
        },
      ),
      5000,
      noon,
      TZ,
    );
    expect(codes(o)).toEqual([
      'CAMPAIGN_PAUSED',
      'BATCH_ENDED',
      'MERCHANT_CATEGORY_NOT_ALLOWED',
      'MERCHANT_DISTRICT_NOT_ALLOWED',
      'MERCHANT_NOT_WHITELISTED',
      'VOUCHER_OUTSIDE_USAGE_WINDOW',
      'ORDER_BELOW_THRESHOLD',
    ]);
    const threshold = o.failures.find((f) => f.code === 'ORDER_BELOW_THRESHOLD')!;
    expect(threshold.messageKey).toBe('redemption.rule.orderBelowThreshold');
    expect(threshold.messageZh).toBe('订单金额未达到使用门槛（满100.00元可用）');
    expect(o.failures.find((f) => f.code === 'VOUCHER_OUTSIDE_USAGE_WINDOW')!.messageZh).toContain(
      '20:30-02:00',
    );
  });

  it.each([
    ['redeemed', 'VOUCHER_ALREADY_REDEEMED'],
    ['void', 'VOUCHER_VOID'],
    ['expired', 'VOUCHER_EXPIRED'],
  ] as const)('refuses a %s voucher', (status, code) => {
    expect(
      codes(evaluateRedemption(facts({ voucher: { ...facts().voucher, status } }), 12800, noon, TZ)),
    ).toEqual([code]);
  });

  it('refuses a claimed voucher past its validity (before the expiry job ran) and one not valid yet', () => {
    expect(codes(evaluateRedemption(facts(), 12800, at('2020-07-31T00:00:00'), TZ))).toEqual([
      'VOUCHER_EXPIRED',
    ]);
    expect(codes(evaluateRedemption(facts(), 12800, at('2020-06-30T23:59:59'), TZ))).toEqual([
      'VOUCHER_NOT_YET_VALID',
    ]);
  });

  it('reads a night window 20:30-02:00 across midnight in Asia/Shanghai', () => {
    const night = facts({}, { usageWindows: [{ start: '20:30', end: '02:00' }] });
    const ok = ['2020-07-10T20:30:00', '2020-07-10T23:59:59', '2020-07-11T00:00:00', '2020-07-11T01:59:59'];
    const refused = ['2020-07-10T20:29:59', '2020-07-11T02:00:00', '2020-07-10T12:00:00'];
    for (const t of ok) expect(codes(evaluateRedemption(night, 12800, at(t), TZ))).toEqual([]);
    for (const t of refused)
      expect(codes(evaluateRedemption(night, 12800, at(t), TZ))).toEqual(['VOUCHER_OUTSIDE_USAGE_WINDOW']);
    // 20:30 in Shanghai is 12:30 UTC: the zone, not the server's, decides.
    expect(codes(evaluateRedemption(night, 12800, new Date('2020-07-10T12:30:00Z'), TZ))).toEqual([]);
  });

  it('accepts any of several windows', () => {
    const f = facts(
      {},
      {
        usageWindows: [
          { start: '11:00', end: '13:00' },
          { start: '17:00', end: '20:00' },
        ],
      },
    );
    expect(codes(evaluateRedemption(f, 12800, at('2020-07-10T12:59:00'), TZ))).toEqual([]);
    expect(codes(evaluateRedemption(f, 12800, at('2020-07-10T18:00:00'), TZ))).toEqual([]);
    expect(codes(evaluateRedemption(f, 12800, at('2020-07-10T14:00:00'), TZ))).toEqual([
      'VOUCHER_OUTSIDE_USAGE_WINDOW',
    ]);
  });

  it('accepts an order exactly at the threshold and refuses one fen below', () => {
    expect(codes(evaluateRedemption(facts(), 10000, noon, TZ))).toEqual([]);
    expect(codes(evaluateRedemption(facts(), 9999, noon, TZ))).toEqual(['ORDER_BELOW_THRESHOLD']);
  });

  it('takes one voucher per order: an order that already has a live redemption is refused', () => {
    const o = evaluateRedemption(facts({ orderTaken: true }), 25000, noon, TZ);
    expect(codes(o)).toEqual(['VOUCHERS_PER_ORDER_EXCEEDED']);
    expect(o.failures[0].params).toEqual({ limit: 1 });
    expect(o.failures[0].messageZh).toBe('每笔订单最多可用1张券，该订单已用过券');
    // The threshold is the batch's own, whatever else happened on the till.
    expect(codes(evaluateRedemption(facts({ orderTaken: false }), 10000, noon, TZ))).toEqual([]);
  });

  it("refuses the same citizen's second voucher at the store within the repeat window", () => {
    const o = evaluateRedemption(
      facts({ repeat: { redeemedAt: at('2020-07-10T11:59:00'), windowS: 120 } }),
      12800,
      noon,
      TZ,
    );
    expect(codes(o)).toEqual(['REPEAT_REDEMPTION_TOO_SOON']);
    expect(o.failures[0].params).toEqual({ windowS: 120, retryAfterS: 60 });
    expect(o.failures[0].messageKey).toBe('redemption.rule.repeatRedemptionTooSoon');
  });

  it('refuses when a funder of the campaign is paused or ended, and names it', () => {
    const base = facts();
    const o = evaluateRedemption(
      facts({ funders: [base.funders[0], { ...base.funders[1], status: 'paused' }] }),
      12800,
      noon,
      TZ,
    );
    expect(codes(o)).toEqual(['FUNDER_NOT_PUBLISHED']);
    expect(o.failures[0].params).toEqual({ funderIds: [2] });
    expect(o.failures[0].messageKey).toBe('redemption.rule.funderNotPublished');
    const ended = facts({ funders: base.funders.map((f) => ({ ...f, status: 'ended' as const })) });
    expect(codes(evaluateRedemption(ended, 12800, noon, TZ))).toEqual(['FUNDER_NOT_PUBLISHED']);
  });

  it('refuses when a funder budget cannot cover its part', () => {
    const f = facts({
      funders: [
        { funderId: 1, shareBp: 7000, budgetFen: 10_000, committedFen: 8_000, status: 'published' },
        { funderId: 2, shareBp: 3000, budgetFen: 1_000_000, committedFen: 0, status: 'published' },
      ],
    });
    const o = evaluateRedemption(f, 12800, noon, TZ);
    expect(codes(o)).toEqual(['FUNDER_BUDGET_EXHAUSTED']);
    expect(o.failures[0].params).toEqual({ funderIds: [1] });
  });
});
