/**
 * Whether a claimed voucher can be used at the till now, decided on the phone every half second from
 * what the server sent and the server's clock, so the code page's warning follows the usage window
 * (a 20:30-02:00 voucher opened at 01:58 says so at 02:00) without asking the server again.
 * Mirrors evaluateRedemption (libs/redemption rules) for the facts the page has.
 */
import type { MyVoucherItem } from './vouchers';

export type UnusableReason =
  'campaign_paused' | 'campaign_ended' | 'expired' | 'not_yet_valid' | 'outside_window';

export interface Unusable {
  reason: UnusableReason;
  /** What the page says, in the words of the till's refusal. */
  message: string;
}

export const UNUSABLE_MESSAGES: Record<UnusableReason, string> = {
  campaign_paused: '活动已暂停，暂不能使用',
  campaign_ended: '活动已结束，不能使用',
  expired: '该券已过期',
  not_yet_valid: '尚未生效，请在下列时间使用',
  outside_window: '当前不在可用时段，请在下列时间使用',
};

/** Suzhou is UTC+8 all year (no daylight saving), as the server's BUSINESS_TZ. */
const OFFSET_MS = 8 * 3600_000;

/** Minutes since midnight, Asia/Shanghai. */
export function businessMinuteOfDay(ms: number): number {
  return Math.floor(((((ms + OFFSET_MS) % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

function hhmm(value: string): number {
  const [h, m] = value.split(':').map(Number);
  return h * 60 + m;
}

/**
 * As the server's inDailyWindow: `start`-`end`, end exclusive; an end not after its start crosses
 * midnight (20:30-02:00 holds 23:59 and 01:00, not 02:00).
 */
export function inDailyWindow(minute: number, start: string, end: string): boolean {
  const s = hhmm(start);
  const e = hhmm(end);
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

type Facts = Pick<MyVoucherItem, 'state' | 'haltedBy' | 'validFrom' | 'validUntil' | 'usageWindows'>;

/** Why a claimed voucher cannot be used at `now` (server ms), or null when it can; null too when not claimed. */
export function unusableNow(v: Facts, now: number): Unusable | null {
  if (v.state !== 'claimed') return null;
  const of = (reason: UnusableReason): Unusable => ({ reason, message: UNUSABLE_MESSAGES[reason] });
  if (v.haltedBy === 'CAMPAIGN_ENDED' || v.haltedBy === 'BATCH_ENDED') return of('campaign_ended');
  if (v.haltedBy === 'CAMPAIGN_PAUSED' || v.haltedBy === 'BATCH_PAUSED') return of('campaign_paused');
  if (now >= Date.parse(v.validUntil)) return of('expired');
  if (now < Date.parse(v.validFrom)) return of('not_yet_valid');
  const minute = businessMinuteOfDay(now);
  if (v.usageWindows.length > 0 && !v.usageWindows.some((w) => inDailyWindow(minute, w.start, w.end)))
    return of('outside_window');
  return null;
}
