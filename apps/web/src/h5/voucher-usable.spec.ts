import { businessMinuteOfDay, inDailyWindow, unusableNow } from './voucher-usable';
import type { MyVoucherItem } from './vouchers';

const at = (local: string) => Date.parse(`${local}+08:00`);
const night = (o: Partial<MyVoucherItem> = {}) => ({
  state: 'claimed' as const,
  haltedBy: null,
  validFrom: '2020-07-01T00:00:00+08:00',
  validUntil: '2020-08-01T00:00:00+08:00',
  usageWindows: [{ start: '20:30', end: '02:00' }],
  ...o,
});

describe('unusableNow (the code page warning, every tick)', () => {
  it('follows a 20:30-02:00 window across midnight, end exclusive', () => {
    expect(unusableNow(night(), at('2020-07-10T20:29:59'))?.reason).toBe('outside_window');
    expect(unusableNow(night(), at('2020-07-10T20:30:00'))).toBeNull();
    expect(unusableNow(night(), at('2020-07-10T23:59:59'))).toBeNull();
    expect(unusableNow(night(), at('2020-07-11T01:59:59'))).toBeNull();
    expect(unusableNow(night(), at('2020-07-11T02:00:00'))).toEqual({
      reason: 'outside_window',
      message: '当前不在可用时段，请在下列时间使用',
    });
  });

  it('reads a window within one day as start inclusive, end exclusive, and no window as all day', () => {
    const lunch = night({ usageWindows: [{ start: '11:00', end: '14:00' }] });
    expect(unusableNow(lunch, at('2020-07-10T10:59:59'))?.reason).toBe('outside_window');
    expect(unusableNow(lunch, at('2020-07-10T11:00:00'))).toBeNull();
    expect(unusableNow(lunch, at('2020-07-10T14:00:00'))?.reason).toBe('outside_window');
    expect(unusableNow(night({ usageWindows: [] }), at('2020-07-10T03:00:00'))).toBeNull();
  });

  it('is not usable before validFrom or from validUntil on', () => {
    const v = night({ usageWindows: [] });
    expect(unusableNow(v, at('2020-06-30T23:59:59'))?.reason).toBe('not_yet_valid');
    expect(unusableNow(v, at('2020-07-01T00:00:00'))).toBeNull();
    expect(unusableNow(v, at('2020-07-31T23:59:59'))).toBeNull();
    expect(unusableNow(v, at('2020-08-01T00:00:00'))?.reason).toBe('expired');
  });

  it('says the campaign is paused or ended, whatever the hour', () => {
    const noon = at('2020-07-10T21:00:00');
    expect(unusableNow(night({ haltedBy: 'CAMPAIGN_PAUSED' }), noon)?.message).toBe('活动已暂停，暂不能使用');
    expect(unusableNow(night({ haltedBy: 'BATCH_PAUSED' }), noon)?.reason).toBe('campaign_paused');
    expect(unusableNow(night({ haltedBy: 'CAMPAIGN_ENDED' }), noon)?.message).toBe('活动已结束，不能使用');
    expect(unusableNow(night({ haltedBy: 'BATCH_ENDED' }), noon)?.reason).toBe('campaign_ended');
  });

  it('has nothing to say about a voucher that is not claimed', () => {
    expect(unusableNow(night({ state: 'redeemed' }), at('2020-07-10T12:00:00'))).toBeNull();
  });
});

describe('the window arithmetic, as the server reads it', () => {
  it('counts minutes of the Suzhou day whatever the phone zone', () => {
    expect(businessMinuteOfDay(Date.parse('2020-07-10T16:00:00Z'))).toBe(0);
    expect(businessMinuteOfDay(Date.parse('2020-07-10T12:30:59Z'))).toBe(20 * 60 + 30);
  });

  it('treats an end not after the start as crossing midnight', () => {
    expect(inDailyWindow(23 * 60 + 59, '20:30', '02:00')).toBe(true);
    expect(inDailyWindow(2 * 60, '20:30', '02:00')).toBe(false);
    expect(inDailyWindow(20 * 60 + 29, '20:30', '02:00')).toBe(false);
  });
});
