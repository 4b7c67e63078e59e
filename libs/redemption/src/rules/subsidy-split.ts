import { Fen } from '@jinli/platform';

export interface FunderShare {
  funderId: number;
  /** Basis points; shares of a published campaign sum to 10,000. */
  shareBp: number;
}

export interface SubsidyPart {
  funderId: number;
  amountFen: Fen;
}

/**
 * Splits a discount between funders by their shares in integer fen (largest remainder method):
 * each funder gets the floor of its exact share, and the fen left over go one each to the funders
 * with the largest remainders, ties to the lower funder id. The parts always sum to the discount
 * and each is within one fen of its exact share. BigInt keeps discount x share exact.
 */
export function splitSubsidy(discountFen: Fen, shares: FunderShare[]): SubsidyPart[] {
  if (!Number.isSafeInteger(discountFen) || discountFen < 0)
    throw new RangeError(`discount must be a non-negative integer of fen, got ${discountFen}`);
  if (shares.length === 0) throw new RangeError('a campaign needs at least one funder');
  const total = shares.reduce((s, f) => s + BigInt(f.shareBp), 0n);
  if (total <= 0n || shares.some((f) => !Number.isInteger(f.shareBp) || f.shareBp < 0))
    throw new RangeError('funder shares must be non-negative integers with a positive sum');
  const discount = BigInt(discountFen);
  const rows = [...shares]
    .sort((a, b) => a.funderId - b.funderId)
    .map((f) => {
      const exact = discount * BigInt(f.shareBp);
      return { funderId: f.funderId, amount: exact / total, remainder: exact % total };
    });
  let left = discount - rows.reduce((s, r) => s + r.amount, 0n);
  const byRemainder = [...rows].sort((a, b) =>
    a.remainder === b.remainder ? a.funderId - b.funderId : a.remainder > b.remainder ? -1 : 1,
  );
  for (const r of byRemainder) {
    if (left === 0n) break;
    r.amount += 1n;
    left -= 1n;
  }
  return rows.map((r) => ({ funderId: r.funderId, amountFen: Number(r.amount) }));
}
