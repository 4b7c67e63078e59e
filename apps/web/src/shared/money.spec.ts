import { formatFen, parseYuanToFen, shortYuan } from './money';

describe('money at the edge', () => {
  it('formats integer fen as ¥ with two decimals and thousands separators', () => {
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(3000)).toBe('¥30.00');
    expect(formatFen(123456789)).toBe('¥1,234,567.89');
    expect(formatFen(-2550)).toBe('-¥25.50');
    expect(formatFen(2550, { sign: true })).toBe('+¥25.50');
    expect(formatFen(Number.MAX_SAFE_INTEGER)).toBe('¥90,071,992,547,409.91');
    expect(formatFen(1.5)).toBe('—');
    expect(formatFen(null)).toBe('—');
  });

  it('says face values the way people do', () => {
    expect(shortYuan(3000)).toBe('30');
    expect(shortYuan(2550)).toBe('25.5');
    expect(shortYuan(5)).toBe('0.05');
  });

  it('reads typed yuan into exact fen without floating point', () => {
    const fen = (s: string) => {
      const r = parseYuanToFen(s);
      return r.ok ? r.fen : r.reason;
    };
    expect(fen('128')).toBe(12800);
    expect(fen('128.5')).toBe(12850);
    expect(fen('128.50')).toBe(12850);
    expect(fen('0.1')).toBe(10);
    expect(fen('.07')).toBe(7);
    expect(fen('1.005')).toBe('金额最多两位小数（精确到分）');
    // 0.1 + 0.2 and friends: where float parsing goes wrong, string arithmetic does not
    expect(fen('19.99')).toBe(1999);
    expect(fen('1.15')).toBe(115);
    expect(fen('4.35')).toBe(435);
    expect(fen('１２８．５')).toBe(12850);
    expect(fen('1,280.00')).toBe(128000);
    expect(fen(' 99 ')).toBe(9900);
    expect(fen('007.10')).toBe(710);
  });

  it('refuses what is not an amount, with a reason a cashier understands', () => {
    for (const bad of ['-5', '+5', '1e3', 'abc', '12.3.4', '¥12', 'NaN', 'Infinity', '0x10']) {
      const r = parseYuanToFen(bad);
      expect(r.ok).toBe(false);
    }
    expect(parseYuanToFen('')).toEqual({ ok: false, reason: '请输入订单金额' });
    expect(parseYuanToFen('0')).toEqual({ ok: false, reason: '订单金额必须大于 0' });
    expect(parseYuanToFen('0.00').ok).toBe(false);
    expect(parseYuanToFen('10000001').ok).toBe(false);
    expect(parseYuanToFen('10000000')).toEqual({ ok: true, fen: 1_000_000_000 });
  });

  it('takes larger bounds for budgets', () => {
    expect(parseYuanToFen('128000000', { max: 1e15 })).toEqual({ ok: true, fen: 12_800_000_000 });
    expect(parseYuanToFen('0', { allowZero: true })).toEqual({ ok: true, fen: 0 });
  });
});
