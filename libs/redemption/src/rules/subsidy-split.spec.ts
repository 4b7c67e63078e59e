import fc from 'fast-check';
import { splitSubsidy } from './subsidy-split';

describe('splitSubsidy', () => {
  it('splits 70/30 exactly when it divides', () => {
    expect(
      splitSubsidy(3000, [
        { funderId: 1, shareBp: 7000 },
        { funderId: 2, shareBp: 3000 },
      ]),
    ).toEqual([
      { funderId: 1, amountFen: 2100 },
      { funderId: 2, amountFen: 900 },
    ]);
  });

  it('gives leftover fen to the largest remainders, ties to the lower funder id', () => {
    // 100 fen in thirds: 33.33 each; the one fen left goes to funder 3 (lowest id of the tie).
    const thirds = [
      { funderId: 9, shareBp: 3333 },
      { funderId: 3, shareBp: 3333 },
      { funderId: 5, shareBp: 3334 },
    ];
    expect(splitSubsidy(100, thirds)).toEqual([
      { funderId: 3, amountFen: 33 },
      { funderId: 5, amountFen: 34 },
      { funderId: 9, amountFen: 33 },
    ]);
    // 1 fen at 50/50: the lower id pays it.
    expect(
      splitSubsidy(1, [
        { funderId: 8, shareBp: 5000 },
        { funderId: 4, shareBp: 5000 },
      ]),
    ).toEqual([
      { funderId: 4, amountFen: 1 },
      { funderId: 8, amountFen: 0 },
    ]);
  });

  it('is exact for amounts where floats would not be', () => {
    const big = 9_007_199_254_740; // ~90 billion CNY in fen: discount x share exceeds 2^53
    const parts = splitSubsidy(big, [
      { funderId: 1, shareBp: 3333 },
      { funderId: 2, shareBp: 6667 },
    ]);
    expect(parts[0].amountFen + parts[1].amountFen).toBe(big);
  });

  const sharesArb = fc
    .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 8 })
    .chain((ids) =>
      fc.tuple(
        fc.constant(ids),
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: ids.length, maxLength: ids.length }),
      ),
    )
    .map(([ids, bps]) => ids.map((funderId, i) => ({ funderId, shareBp: bps[i] })));

  it('property: parts are non-negative integers summing to the discount, each within one fen of its share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000_000 }), sharesArb, (discount, shares) => {
        const parts = splitSubsidy(discount, shares);
        const total = shares.reduce((s, f) => s + f.shareBp, 0);
        expect(parts).toHaveLength(shares.length);
        expect(parts.reduce((s, p) => s + p.amountFen, 0)).toBe(discount);
        for (const p of parts) {
          expect(Number.isSafeInteger(p.amountFen)).toBe(true);
          expect(p.amountFen).toBeGreaterThanOrEqual(0);
          const share = shares.find((f) => f.funderId === p.funderId)!.shareBp;
          const exactTimesTotal = BigInt(discount) * BigInt(share);
          const diff = BigInt(p.amountFen) * BigInt(total) - exactTimesTotal;
          expect(diff > -BigInt(total) && diff < BigInt(total)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the result does not depend on the order the funders are listed in', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), sharesArb, (discount, shares) => {
        expect(splitSubsidy(discount, [...shares].reverse())).toEqual(splitSubsidy(discount, shares));
      }),
    );
  });

  it('refuses negative or fractional discounts', () => {
    expect(() => splitSubsidy(-1, [{ funderId: 1, shareBp: 10_000 }])).toThrow(RangeError);
    expect(() => splitSubsidy(1.5, [{ funderId: 1, shareBp: 10_000 }])).toThrow(RangeError);
    expect(() => splitSubsidy(1, [])).toThrow(RangeError);
  });
});
