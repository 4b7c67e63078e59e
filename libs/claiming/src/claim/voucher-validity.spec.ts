import { voucherValidity } from './voucher-validity';

describe('voucherValidity', () => {
  const claimedAt = Date.parse('2020-07-04T02:00:00Z');
  const campaignEnd = Date.parse('2020-09-04T00:00:00Z');

  it('gives a fixed batch its own window', () => {
    const sut = voucherValidity(
      {
        validityKind: 'fixed',
        validFromMs: Date.parse('2020-07-01T00:00:00Z'),
        validUntilMs: Date.parse('2020-07-31T00:00:00Z'),
        validDays: null,
        campaignEndsAtMs: campaignEnd,
      },
      claimedAt,
    );
    expect(sut).toEqual({
      from: Date.parse('2020-07-01T00:00:00Z'),
      until: Date.parse('2020-07-31T00:00:00Z'),
    });
  });

  it('starts a relative validity at the claim and lasts N days', () => {
    const sut = voucherValidity(
      {
        validityKind: 'relative',
        validFromMs: null,
        validUntilMs: null,
        validDays: 7,
        campaignEndsAtMs: campaignEnd,
      },
      claimedAt,
    );
    expect(sut).toEqual({ from: claimedAt, until: claimedAt + 7 * 24 * 3600 * 1000 });
  });

  it('never lets a relative validity outlive the campaign', () => {
    const lateClaim = campaignEnd - 2 * 24 * 3600 * 1000;
    const sut = voucherValidity(
      {
        validityKind: 'relative',
        validFromMs: null,
        validUntilMs: null,
        validDays: 7,
        campaignEndsAtMs: campaignEnd,
      },
      lateClaim,
    );
    expect(sut).toEqual({ from: lateClaim, until: campaignEnd });
  });
});
