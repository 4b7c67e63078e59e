/**
 * Business days and times of day are read in one IANA time zone (Asia/Shanghai by default).
 * Formatters are cached: these run on hot paths (every redemption).
 */
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function zonedParts(instant: Date, timeZone: string): ZonedParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out as unknown as ZonedParts;
}

/** The business day (YYYY-MM-DD) an instant falls on. */
export function businessDayOf(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** Minutes since local midnight of an instant, in the business time zone. */
export function minuteOfDay(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  return p.hour * 60 + p.minute;
}

/** The hour (0-23) of an instant in the business time zone. */
export function hourOfDay(instant: Date, timeZone: string): number {
  return zonedParts(instant, timeZone).hour;
}

/** Offset of the zone from UTC at an instant, in minutes (Asia/Shanghai: +480). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
}

/** The instant a local wall-clock time (`YYYY-MM-DD`, `HH:mm`) happens in the zone. */
export function zonedInstant(day: string, time: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const offset = zoneOffsetMinutes(new Date(guess), timeZone);
  const first = guess - offset * 60000;
  const offset2 = zoneOffsetMinutes(new Date(first), timeZone);
  return new Date(guess - offset2 * 60000);
}

/** Start (inclusive) and end (exclusive) instants of a business day. */
export function businessDayRange(day: string, timeZone: string): { from: Date; to: Date } {
  const from = zonedInstant(day, '00:00', timeZone);
  return { from, to: zonedInstant(addDays(day, 1), '00:00', timeZone) };
}

/** Calendar arithmetic on YYYY-MM-DD strings. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Parses `HH:mm` into minutes since midnight. */
export function parseHhMm(value: string): number {
  if (!HHMM.test(value)) throw new Error(`not a HH:mm time: ${value}`);
  const [h, m] = value.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Whether a minute of the day lies in a window `start`-`end` (end exclusive). A window whose end
 * is not after its start crosses midnight: 20:30-02:00 holds 23:59 and 01:00, not 02:00.
 */
export function inDailyWindow(minute: number, start: string, end: string): boolean {
  const s = parseHhMm(start);
  const e = parseHhMm(end);
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
