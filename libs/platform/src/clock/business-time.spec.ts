import {
  addDays,
  businessDayOf,
  businessDayRange,
  hourOfDay,
  inDailyWindow,
  minuteOfDay,
  parseHhMm,
  zonedInstant,
  zoneOffsetMinutes,
} from './business-time';
import { Clock, ManualClock, SystemClock } from './clock';

const TZ = 'Asia/Shanghai';
const utc = (iso: string) => new Date(iso);

describe('business time (Asia/Shanghai)', () => {
  describe('businessDayOf', () => {
    it('turns the day at local midnight, which is 16:00 UTC the day before', () => {
      expect(businessDayOf(utc('2020-07-03T15:59:59.999Z'), TZ)).toBe('2020-07-03');
      expect(businessDayOf(utc('2020-07-03T16:00:00.000Z'), TZ)).toBe('2020-07-04');
      expect(businessDayOf(utc('2020-07-04T15:59:59.999Z'), TZ)).toBe('2020-07-04');
    });

    it('is the local date even when UTC is still in the previous month or year', () => {
      expect(businessDayOf(utc('2020-06-30T17:00:00Z'), TZ)).toBe('2020-07-01');
      expect(businessDayOf(utc('2019-12-31T16:30:00Z'), TZ)).toBe('2020-01-01');
    });

    it('differs by zone', () => {
      expect(businessDayOf(utc('2020-07-03T20:00:00Z'), 'UTC')).toBe('2020-07-03');
      expect(businessDayOf(utc('2020-07-03T20:00:00Z'), TZ)).toBe('2020-07-04');
    });
  });

  describe('businessDayRange and zonedInstant', () => {
    it('spans a business day from local midnight to local midnight', () => {
      expect(businessDayRange('2020-07-04', TZ)).toEqual({
        from: utc('2020-07-03T16:00:00Z'),
        to: utc('2020-07-04T16:00:00Z'),
      });
    });

    it('finds the instant of a local wall-clock time', () => {
      expect(zonedInstant('2020-07-04', '10:00', TZ)).toEqual(utc('2020-07-04T02:00:00Z'));
      expect(zonedInstant('2020-07-04', '20:30', TZ)).toEqual(utc('2020-07-04T12:30:00Z'));
      expect(zonedInstant('2020-07-05', '00:00', TZ)).toEqual(utc('2020-07-04T16:00:00Z'));
    });

    it('handles a zone with daylight saving time, for deployments elsewhere', () => {
      // New York: EDT (-4) in July, EST (-5) in January.
      expect(zonedInstant('2020-07-04', '10:00', 'America/New_York')).toEqual(utc('2020-07-04T14:00:00Z'));
      expect(zonedInstant('2020-01-04', '10:00', 'America/New_York')).toEqual(utc('2020-01-04T15:00:00Z'));
    });

    it('knows the offset', () => {
      expect(zoneOffsetMinutes(utc('2020-07-04T00:00:00Z'), TZ)).toBe(480);
    });
  });

  describe('minuteOfDay and hourOfDay', () => {
    it('read the local time of day', () => {
      expect(minuteOfDay(utc('2020-07-04T12:30:00Z'), TZ)).toBe(20 * 60 + 30);
      expect(minuteOfDay(utc('2020-07-04T15:59:00Z'), TZ)).toBe(23 * 60 + 59);
      expect(minuteOfDay(utc('2020-07-04T16:00:00Z'), TZ)).toBe(0);
      expect(hourOfDay(utc('2020-07-04T13:05:00Z'), TZ)).toBe(21);
    });
  });

  describe('inDailyWindow', () => {
    const night = (hhmm: string) => inDailyWindow(parseHhMm(hhmm), '20:30', '02:00');

    it('holds a night window 20:30-02:00 across midnight, end exclusive', () => {
      expect(['20:30', '21:00', '23:59', '00:00', '01:00', '01:59'].map(night)).toEqual(Array(6).fill(true));
      expect(['20:29', '02:00', '02:01', '10:00', '12:00', '20:00'].map(night)).toEqual(Array(6).fill(false));
    });

    it('applies to instants through minuteOfDay, on both sides of midnight', () => {
      const at = (iso: string) => inDailyWindow(minuteOfDay(utc(iso), TZ), '20:30', '02:00');
      expect(at('2020-07-04T12:30:00Z')).toBe(true); // 20:30 local on the 4th
      expect(at('2020-07-04T17:30:00Z')).toBe(true); // 01:30 local on the 5th
      expect(at('2020-07-04T18:00:00Z')).toBe(false); // 02:00 local
      expect(at('2020-07-04T12:29:00Z')).toBe(false); // 20:29 local
    });

    it('holds a daytime window without wrapping', () => {
      expect(inDailyWindow(parseHhMm('10:00'), '10:00', '14:00')).toBe(true);
      expect(inDailyWindow(parseHhMm('14:00'), '10:00', '14:00')).toBe(false);
      expect(inDailyWindow(parseHhMm('23:00'), '10:00', '14:00')).toBe(false);
    });

    it('refuses a time that is not HH:mm', () => {
      expect(() => parseHhMm('24:00')).toThrow('not a HH:mm time: 24:00');
      expect(() => parseHhMm('8:30')).toThrow('not a HH:mm time');
    });
  });

  describe('addDays', () => {
    it('crosses months, years and leap days', () => {
      expect(addDays('2020-07-31', 1)).toBe('2020-08-01');
      expect(addDays('2020-12-31', 1)).toBe('2021-01-01');
      expect(addDays('2020-02-28', 1)).toBe('2020-02-29');
      expect(addDays('2020-03-01', -1)).toBe('2020-02-29');
      expect(addDays('2020-07-04', 61)).toBe('2020-09-03');
    });
  });
});

describe('clocks', () => {
  it('a ManualClock stands still until moved', () => {
    const sut = new ManualClock('2020-07-04T10:00:00+08:00');
    expect(sut.now()).toEqual(utc('2020-07-04T02:00:00Z'));
    expect(sut.now()).toEqual(sut.now());
    sut.advance(90_000);
    expect(sut.nowMs()).toBe(utc('2020-07-04T02:01:30Z').getTime());
    sut.set('2020-10-01T00:00:00+08:00');
    expect(businessDayOf(sut.now(), TZ)).toBe('2020-10-01');
  });

  it('a ManualClock hands out copies, so callers cannot move it by mutating a Date', () => {
    const sut = new ManualClock(0);
    sut.now().setTime(999);
    expect(sut.nowMs()).toBe(0);
  });

  it('the SystemClock follows real time', () => {
    const sut: Clock = new SystemClock();
    const before = Date.now();
    const t = sut.nowMs();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(Math.abs(sut.now().getTime() - Date.now())).toBeLessThan(1000);
  });
});
