import { REDEMPTION_RULE_MESSAGES } from '@jinli/contracts';
import { describeError } from '../shared/errors';
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
      'FUNDER_NOT_PUBLISHED',
      'REPEAT_REDEMPTION_TOO_SOON',
      'VOUCHERS_PER_ORDER_EXCEEDED',
    ]) {
      const text = ruleSentence({ code }, preview);
      expect(text).toMatch(/[\u4e00-\u9fff]/);
      expect(text).not.toContain(code);
    }
    expect(ruleSentence({ code: 'SOMETHING_NEW', messageZh: '新规则' }, preview)).toBe('新规则');
  });

  it('has a cashier sentence for every redemption rule the API names', () => {
    for (const code of Object.keys(REDEMPTION_RULE_MESSAGES)) {
      const text = ruleSentence({ code }, preview);
      expect(text).toMatch(/[\u4e00-\u9fff]/);
      expect(text).not.toContain(code);
    }
  });

  it('one voucher per order, the repeat guard and an idle funder, said so a cashier can act', () => {
    expect(ruleSentence({ code: 'VOUCHERS_PER_ORDER_EXCEEDED', params: { limit: 1 } }, preview)).toBe(
      '该小票号的订单已用过券：每单限用 1 张，请核对小票号',
    );
    expect(
      ruleSentence(
        { code: 'REPEAT_REDEMPTION_TOO_SOON', params: { windowS: 120, retryAfterS: 75 } },
        preview,
      ),
    ).toBe(
      '该顾客刚在本店用过券：同一笔消费只能用一张券。如确为另一笔订单，请在「小票号」填写本单小票号后重新预览，或 2 分钟后再用',
    );
    expect(
      ruleSentence({ code: 'REPEAT_REDEMPTION_TOO_SOON', params: { retryAfterS: 20 } }, preview),
    ).toContain('或 20 秒后再用');
    expect(ruleSentence({ code: 'FUNDER_NOT_PUBLISHED', params: { funderIds: [2] } }, preview)).toBe(
      '该券的补贴出资方已暂停或停止出资，暂不能用券，请顾客改用其他券',
    );
  });

  it('says why scanning is paused after too many forged codes, and for how long', () => {
    const e = (scope: string, retryAfterS?: number) =>
      describeError('RATE_LIMITED', { scope, forgedCodes: 30, limit: 30, windowS: 600, retryAfterS }, 429);
    expect(e('store', 540)).toBe(
      '本门店近期扫到的无效券码过多，扫码已暂停，约 9 分钟后恢复。请让顾客打开手机上的实时券码，不要用截图或手输号码',
    );
    expect(e('cashier', 30)).toContain('您的账号近期扫到的无效券码过多，扫码已暂停，30 秒后恢复');
    expect(e('merchant')).toContain('本商户各门店近期扫到的无效券码过多，扫码已暂停，请稍后再试');
    // Any other rate limit keeps its plain sentence.
    expect(describeError('RATE_LIMITED', undefined, 429)).toBe('请求太频繁，请稍后再试');
  });

  it('reads what a barcode gun or a cashier typed', () => {
    expect(normalizeCode(' 1234 5678 9012 3456 78 ')).toBe('123456789012345678');
    expect(normalizeCode('1234-5678')).toBe('12345678');
    expect(normalizeCode('JL1.abc-DEF_ghi')).toBe('JL1.abc-DEF_ghi');
  });
});
