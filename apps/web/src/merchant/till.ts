import { describeError, hasMessage } from '../shared/errors';
import { usageWindows } from '../shared/format';
import { formatFen } from '../shared/money';

export interface RuleFailure {
  code: string;
  messageKey?: string;
  message?: string;
  messageZh?: string;
  params?: Record<string, unknown>;
}

export interface Preview {
  ok: boolean;
  voucherId: number;
  batch: {
    id: number;
    name: string;
    faceValueFen: number;
    thresholdFen: number;
    usageWindows: { start: string; end: string }[];
  };
  validUntil: string;
  orderAmountFen: number;
  discountFen: number;
  payableFen: number;
  failures: RuleFailure[];
}

export interface Redemption {
  id: number;
  voucherId: number;
  batchName?: string;
  storeId: number;
  orderAmountFen: number;
  discountFen: number;
  payableFen: number;
  netOrderAmountFen: number;
  status: string;
  redeemedAt: string;
}

/**
 * A failing rule in words a cashier can act on, with the numbers that matter
 * ("订单金额 ¥80.00 未达到使用门槛 满¥100.00，还差 ¥20.00").
 */
export function ruleSentence(f: RuleFailure, p: Pick<Preview, 'orderAmountFen' | 'batch'>): string {
  const params = f.params ?? {};
  switch (f.code) {
    case 'ORDER_BELOW_THRESHOLD': {
      const threshold = typeof params.thresholdFen === 'number' ? params.thresholdFen : p.batch.thresholdFen;
      return `订单金额 ${formatFen(p.orderAmountFen)} 未达到使用门槛 满${formatFen(threshold)}，还差 ${formatFen(threshold - p.orderAmountFen)}`;
    }
    case 'VOUCHER_OUTSIDE_USAGE_WINDOW':
      return `当前不在该券可用时段（${usageWindows(p.batch.usageWindows)}），请在可用时段内使用`;
    case 'VOUCHERS_PER_ORDER_EXCEEDED':
      // One voucher per order: the order named by this receipt number already took one.
      return typeof params.limit === 'number' && params.limit > 1
        ? `本单最多可用 ${params.limit} 张券`
        : '该小票号的订单已用过券：每单限用 1 张，请核对小票号';
    case 'REPEAT_REDEMPTION_TOO_SOON': {
      const wait = typeof params.retryAfterS === 'number' ? `，或 ${waitText(params.retryAfterS)}后再用` : '';
      return `该顾客刚在本店用过券：同一笔消费只能用一张券。如确为另一笔订单，请在「小票号」填写本单小票号后重新预览${wait}`;
    }
    default:
      return hasMessage(f.code) ? describeError(f.code) : (f.messageZh ?? f.code);
  }
}

function waitText(s: number): string {
  return s >= 60 ? `${Math.ceil(s / 60)} 分钟` : `${s} 秒`;
}

/** What the cashier typed or the scanner read: 18 digits (spaces allowed) or a QR payload. */
export function normalizeCode(input: string): string {
  const t = input.trim();
  const digits = t.replace(/[\s-]/g, '');
  return /^\d+$/.test(digits) ? digits : t;
}
