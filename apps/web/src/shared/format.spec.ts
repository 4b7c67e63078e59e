import { expiryDateTime } from './format';

describe('expiryDateTime', () => {
  it('reads an end at 00:00 Suzhou time as 23:59 of the day before', () => {
    expect(expiryDateTime('2020-09-03T16:00:00Z')).toBe('2020-09-03 23:59');
    expect(expiryDateTime('2020-09-04T00:00:00+08:00')).toBe('2020-09-03 23:59');
    // Across a month and a year.
    expect(expiryDateTime('2020-12-31T16:00:00Z')).toBe('2020-12-31 23:59');
  });

  it('keeps the date and time of any other end', () => {
    expect(expiryDateTime('2020-09-04T02:30:00Z')).toBe('2020-09-04 10:30');
    expect(expiryDateTime('2020-09-03T15:59:00Z')).toBe('2020-09-03 23:59');
    // Midnight UTC is 08:00 in Suzhou, not a day boundary.
    expect(expiryDateTime('2020-09-04T00:00:00Z')).toBe('2020-09-04 08:00');
    // A second past midnight is still that day.
    expect(expiryDateTime('2020-09-03T16:00:01Z')).toBe('2020-09-04 00:00');
  });

  it('shows a dash when there is no end', () => {
    expect(expiryDateTime(null)).toBe('—');
    expect(expiryDateTime('')).toBe('—');
  });
});
