/**
 * What the claim button of one batch shows, decided on the phone from the server's clock and what the
 * server last said, so that at 10:00:00 every phone flips to 立即领取 by itself (no reload, no extra
 * request from a hundred thousand phones at once).
 */

export interface OfferRound {
  seq: number;
  opensAt: string;
  closesAt: string | null;
}

export interface OfferSnapshot {
  rounds: OfferRound[];
  /** Rounds (by seq) the server said are sold out. */
  soldOutRounds: number[];
  /** The whole batch is given out (no later round can help). */
  batchSoldOut: boolean;
  /** Vouchers of this batch the citizen holds (claimed, whatever their state) and the limit. */
  held: number;
  limit: number;
  /** A reason the citizen cannot claim at all (not verified, batch paused...), in Chinese; or null. */
  blocked: string | null;
  /** Nothing more to claim: every round is behind us, or the batch or campaign has ended. */
  over?: boolean;
}

export type ClaimState =
  | { kind: 'not_open'; label: '未开始'; opensAt: number }
  | { kind: 'open'; label: '立即领取' }
  | { kind: 'claimed'; label: '已领取' }
  | { kind: 'round_sold_out'; label: '本轮已抢光'; nextOpensAt: number }
  | { kind: 'sold_out'; label: '已抢光' }
  | { kind: 'closed'; label: string; reason: string }
  | { kind: 'over'; label: '已结束' };

export function claimState(o: OfferSnapshot, now: number): ClaimState {
  if (o.held >= o.limit) return { kind: 'claimed', label: '已领取' };
  if (o.batchSoldOut) return { kind: 'sold_out', label: '已抢光' };
  if (o.over) return { kind: 'over', label: '已结束' };
  if (o.blocked) return { kind: 'closed', label: '暂不可领', reason: o.blocked };
  const rounds = [...o.rounds].sort((a, b) => a.seq - b.seq);
  const t = (iso: string) => Date.parse(iso);
  const current = [...rounds].reverse().find((r) => t(r.opensAt) <= now);
  const next = rounds.find((r) => t(r.opensAt) > now);
  if (!current) {
    return next
      ? { kind: 'not_open', label: '未开始', opensAt: t(next.opensAt) }
      : { kind: 'over', label: '已结束' };
  }
  const closed = current.closesAt !== null && t(current.closesAt) <= now;
  if (o.soldOutRounds.includes(current.seq) || closed) {
    if (next) {
      return closed && !o.soldOutRounds.includes(current.seq)
        ? { kind: 'not_open', label: '未开始', opensAt: t(next.opensAt) }
        : { kind: 'round_sold_out', label: '本轮已抢光', nextOpensAt: t(next.opensAt) };
    }
    return closed && !o.soldOutRounds.includes(current.seq)
      ? { kind: 'over', label: '已结束' }
      : { kind: 'sold_out', label: '已抢光' };
  }
  return { kind: 'open', label: '立即领取' };
}

/** The round a claim made now would count against (for marking it sold out on that answer). */
export function currentRoundSeq(rounds: OfferRound[], now: number): number | null {
  const open = rounds.filter((r) => Date.parse(r.opensAt) <= now).sort((a, b) => b.seq - a.seq)[0];
  return open ? open.seq : null;
}

/** The seq of the k-th round (1-based, in opening order): how the claim API numbers rounds. */
export function seqOfRound(rounds: OfferRound[], k: number): number | null {
  return [...rounds].sort((a, b) => a.seq - b.seq)[k - 1]?.seq ?? null;
}
