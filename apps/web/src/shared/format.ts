import { CATEGORIES, DISTRICTS } from '@jinli/contracts';

const ZONE = 'Asia/Shanghai';

const parts = (iso: string | number | Date) => {
  const f = new Intl.DateTimeFormat('zh-CN', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (t: string) => f.find((p) => p.type === t)?.value ?? '';
  return {
    y: get('year'),
    mo: get('month'),
    d: get('day'),
    h: get('hour'),
    mi: get('minute'),
    s: get('second'),
  };
};

/** 2020-07-04 10:00 (Suzhou time, whatever the phone's zone). */
export function dateTime(iso: string | number | Date | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const p = parts(iso);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}`;
}

export function dateTimeSeconds(iso: string | number | Date | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const p = parts(iso);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

export function date(iso: string | number | Date | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const p = parts(iso);
  return `${p.y}-${p.mo}-${p.d}`;
}

/**
 * When a validity ends, as people read it: an end at 00:00 Suzhou time (often a campaign's end) is
 * the day before at 23:59, not that day (有效期至 2020-09-03 23:59, not 2020-09-04); any other end
 * keeps its date and time.
 */
export function expiryDateTime(iso: string | number | Date | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const ms = new Date(iso).getTime();
  const p = parts(ms);
  if (p.h === '00' && p.mi === '00' && p.s === '00' && ms % 1000 === 0) return dateTime(ms - 60_000);
  return dateTime(ms);
}

export function time(iso: string | number | Date): string {
  const p = parts(iso);
  return `${p.h}:${p.mi}:${p.s}`;
}

/** 07月04日 10:00 */
export function shortDateTime(iso: string | number | Date): string {
  const p = parts(iso);
  return `${p.mo}月${p.d}日 ${p.h}:${p.mi}`;
}

/** The business day (Asia/Shanghai) of an instant: YYYY-MM-DD. */
export function businessDay(at: number | Date = Date.now()): string {
  return date(at);
}

/** Milliseconds as 01:02:03 or 2天 03:04:05. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${days ? `${days}天 ` : ''}${hh}:${mm}:${ss}`;
}

const districtNames = new Map<string, string>(DISTRICTS.map((d) => [d.code, d.name]));
const categoryNames = new Map<string, string>(CATEGORIES.map((c) => [c.code, c.name]));

export function districtName(code: string | null | undefined): string {
  if (!code) return '—';
  return districtNames.get(code) ?? code;
}

export function categoryName(code: string | null | undefined): string {
  if (!code) return '—';
  return categoryNames.get(code) ?? code;
}

export function districtList(codes: string[] | undefined): string {
  return codes && codes.length ? codes.map(districtName).join('、') : '全市通用';
}

export function categoryList(codes: string[] | undefined): string {
  return codes && codes.length ? codes.map(categoryName).join('、') : '全部行业';
}

export function usageWindows(windows: { start: string; end: string }[] | undefined): string {
  if (!windows || !windows.length) return '全天可用';
  return windows
    .map((w) => (w.end <= w.start ? `${w.start}-次日${w.end}` : `${w.start}-${w.end}`))
    .join('，');
}

export interface ValidityLike {
  kind: string;
  from: string | null;
  until: string | null;
  days: number | null;
}

export function validity(v: ValidityLike | undefined): string {
  if (!v) return '—';
  if (v.kind === 'relative') return `领取后 ${v.days} 天内有效`;
  return `${dateTime(v.from)} 至 ${dateTime(v.until)}`;
}

/** 123456789012345678 -> "1234 5678 9012 3456 78": easier to read aloud and to type. */
export function groupDigits(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

export const LIFECYCLE: Record<string, string> = {
  draft: '草稿',
  published: '已发布',
  paused: '已暂停',
  ended: '已结束',
};

export const MERCHANT_STATUS: Record<string, string> = {
  pending: '待审核',
  approved: '已通过',
  rejected: '已驳回',
  suspended: '已暂停',
};

export const VOUCHER_STATUS: Record<string, string> = {
  claimed: '未使用',
  redeemed: '已使用',
  expired: '已过期',
  void: '已作废',
};

export const STATEMENT_STATUS: Record<string, string> = {
  draft: '草稿',
  pending_review: '待审核',
  approved: '已批准',
  rejected: '已驳回',
  held: '已挂起',
  released: '已释放',
  paid: '已打款',
};

export const FUNDER_KIND: Record<string, string> = {
  city: '市级财政',
  district: '区县财政',
  company: '企业',
};

export const ROLE_NAME: Record<string, string> = {
  citizen: '市民',
  operator: '运营',
  finance: '财务',
  auditor: '审计',
  merchant_owner: '商户店长',
  cashier: '收银员',
};
