import { normalizeCode, ruleSentence } from './till';

const preview = {
  orderAmountFen: 8000,
  batch: {
    id: 1,
    name: '满100减30',
    faceValueFen: 3000,
    thresholdFen: 10000,
    usageWindows: [{ start: '20:30', end: '02:00' }],
  },
};

describe('the till in words a cashier understands', () => {
  it('says by how much an order misses the threshold', () => {
    expect(ruleSentence({ code: 'ORDER_BELOW_THRESHOLD' }, preview)).toBe(
      '订单金额 ¥80.00 未达到使用门槛 满¥100.00，还差 ¥20.00',
    );
  });

  it('names the usage window, across midnight', () => {
    expect(ruleSentence({ code: 'VOUCHER_OUTSIDE_USAGE_WINDOW' }, preview)).toBe(
      '当前不在该券可用时段（20:30-次日02:00），请在可用时段内使用',
    );
  });

  it('has a sentence for every rule, and falls back to the server’s Chinese for new ones', () => {
    for (const code of [
      'VOUCHER_ALREADY_REDEEMED',
      'VOUCHER_EXPIRED',
      'VOUCHER_VOID',
      'VOUCHER_NOT_YET_VALID',
      'MERCHANT_CATEGORY_NOT_ALLOWED',
      'MERCHANT_DISTRICT_NOT_ALLOWED',
      'MERCHANT_NOT_WHITELISTED',
      'CAMPAIGN_PAUSED',
      'CAMPAIGN_ENDED',
      'BATCH_PAUSED',
      'BATCH_ENDED',
      'FUNDER_BUDGET_EXHAUSTED',
      'ORDER_AMOUNT_MISMATCH',
    ]) {
      const text = ruleSentence({ code }, preview);
      expect(text).toMatch(/[\u4e00-\u9fff]/);
      expect(text).not.toContain(code);
    }
    expect(ruleSentence({ code: 'SOMETHING_NEW', messageZh: '新规则' }, preview)).toBe('新规则');
    expect(ruleSentence({ code: 'VOUCHERS_PER_ORDER_EXCEEDED', params: { limit: 2 } }, preview)).toBe(
      '本单最多可用 2 张券',
    );
  });

  it('reads what a barcode gun or a cashier typed', () => {
    expect(normalizeCode(' 1234 5678 9012 3456 78 ')).toBe('123456789012345678');
    expect(normalizeCode('1234-5678')).toBe('12345678');
    expect(normalizeCode('JL1.abc-DEF_ghi')).toBe('JL1.abc-DEF_ghi');
  });
});
