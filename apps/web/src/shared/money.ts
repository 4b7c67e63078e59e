/**
 * Money is integer fen (分) everywhere; these two functions are the only places it becomes text or is
 * read from text. No floating point touches an amount: both directions work on digit strings.
 */

/** 12345 -> "¥123.45"; -500 -> "-¥5.00"; 123456789 -> "¥1,234,567.89". */
export function formatFen(fen: number | null | undefined, options: { sign?: boolean } = {}): string {
  if (fen === null || fen === undefined || !Number.isSafeInteger(fen)) return '—';
  const negative = fen < 0;
  const digits = String(Math.abs(fen)).padStart(3, '0');
  const yuan = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = `¥${yuan}.${digits.slice(-2)}`;
  if (negative) return `-${text}`;
  return options.sign && fen > 0 ? `+${text}` : text;
}

/** 3000 -> "30" and 2550 -> "25.5": a face value as people say it (满100减30). */
export function shortYuan(fen: number): string {
  const digits = String(Math.abs(fen)).padStart(3, '0');
  const cents = digits.slice(-2).replace(/0+$/, '');
  return `${fen < 0 ? '-' : ''}${digits.slice(0, -2)}${cents ? `.${cents}` : ''}`;
}

export type ParsedAmount = { ok: true; fen: number } | { ok: false; reason: string };

const FULL_WIDTH = /[０-９．。]/g;

/** The largest order a till accepts: ¥10,000,000.00 (also keeps every value a safe integer). */
export const MAX_ORDER_FEN = 1_000_000_000;

/**
 * What a cashier typed, in yuan ("128", "128.5", "128.50", full-width "１２８．５"), to integer fen.
 * Refuses anything else with a reason a cashier understands: no sign, no exponent, at most two decimals.
 * `max` bounds the result (default: an order at a till); budgets pass a larger one.
 */
export function parseYuanToFen(
  input: string,
  options: { max?: number; allowZero?: boolean; what?: string } = {},
): ParsedAmount {
  const max = options.max ?? MAX_ORDER_FEN;
  const what = options.what ?? '订单金额';
  const text = input
    .trim()
    .replace(FULL_WIDTH, (c) =>
      c === '．' || c === '。' ? '.' : String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48),
    )
    .replace(/,/g, '');
  if (text === '') return { ok: false, reason: `请输入${what}` };
  const m = /^(\d{1,13})(?:\.(\d{0,2}))?$/.exec(text) ?? /^()\.(\d{1,2})$/.exec(text);
  if (!m) {
    if (/^\d*\.\d{3,}$/.test(text)) return { ok: false, reason: '金额最多两位小数（精确到分）' };
    return { ok: false, reason: '金额格式不正确，请只输入数字和小数点' };
  }
  const whole = (m[1] || '0').replace(/^0+(?=\d)/, '');
  const cents = (m[2] ?? '').padEnd(2, '0');
  const fenText = `${whole}${cents}`.replace(/^0+(?=\d)/, '');
  if (fenText.length > 15 || Number(fenText) > max) {
    return { ok: false, reason: `${what}过大，最多 ${formatFen(max)}` };
  }
  const fen = Number(fenText);
  if (fen === 0 && !options.allowZero) return { ok: false, reason: `${what}必须大于 0` };
  return { ok: true, fen };
}

/** A ratio for display only (leverage 11.7x, rates): computed at the edge from integer fen. */
export function ratio(numerator: number, denominator: number, digits = 1): string {
  if (!denominator) return '—';
  return (numerator / denominator).toFixed(digits);
}

export function percent(numerator: number, denominator: number, digits = 1): string {
  if (!denominator) return '—';
  return `${((numerator * 100) / denominator).toFixed(digits)}%`;
}
