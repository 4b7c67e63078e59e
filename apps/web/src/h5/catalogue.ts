import { ApiError, backoffMs } from '../shared/api';
import { noteServerTime } from '../shared/server-clock';
import type { OfferSnapshot } from './claim-state';
import { heldOf, INELIGIBLE_REASON, refusalOutcome, type ClaimOutcome } from './claim-outcome';
import { api } from './state';

/**
 * The claiming API as the H5 page needs it. This file is the only one that knows the routes and
 * their shapes; the views work on `Offer`.
 */
export interface Offer {
  batchId: number;
  campaignId: number;
  campaignName: string;
  name: string;
  description: string;
  faceValueFen: number;
  thresholdFen: number;
  allowedCategories: string[];
  allowedDistricts: string[];
  validity: { kind: string; from: string | null; until: string | null; days: number | null };
  usageWindows: { start: string; end: string }[];
  requiresVerified: boolean;
  /** Vouchers left in the current round, when the server says. */
  left: number | null;
  snapshot: OfferSnapshot;
}

export interface CampaignOffers {
  id: number;
  name: string;
  description: string;
  offers: Offer[];
}

/** GET /api/v1/claiming/campaigns (libs/claiming CatalogueService). */
interface CatalogueBatch {
  id: number;
  name: string;
  description: string;
  faceValueFen: number;
  thresholdFen: number;
  allowedCategories: string[];
  allowedDistricts: string[];
  validity: Offer['validity'];
  usageWindows: Offer['usageWindows'];
  perCitizenLimit: number;
  vouchersPerOrder: number;
  requiresVerified: boolean;
  status: string;
  live: {
    phase: 'not_open' | 'open' | 'round_sold_out' | 'sold_out' | 'over' | 'not_eligible';
    reason: string | null;
    currentRound: number | null;
    left: number;
    batchLeft: number;
    opensAt: string | null;
    roundEndsAt: string | null;
  };
  rounds: {
    seq: number;
    opensAt: string;
    endsAt: string;
    quota: number;
    state: string;
    left: number | null;
  }[];
  held: number | null;
}

interface CatalogueCampaign {
  id: number;
  name: string;
  description: string;
  batches: CatalogueBatch[];
}

function toOffer(c: CatalogueCampaign, b: CatalogueBatch): Offer {
  const { live } = b;
  return {
    batchId: b.id,
    campaignId: c.id,
    campaignName: c.name,
    name: b.name,
    description: b.description ?? '',
    faceValueFen: b.faceValueFen,
    thresholdFen: b.thresholdFen,
    allowedCategories: b.allowedCategories,
    allowedDistricts: b.allowedDistricts,
    validity: b.validity,
    usageWindows: b.usageWindows,
    requiresVerified: b.requiresVerified,
    left: live.phase === 'open' ? live.left : null,
    snapshot: {
      rounds: b.rounds.map((r) => ({ seq: r.seq, opensAt: r.opensAt, closesAt: r.endsAt })),
      // The server's phase is the truth at load time; the page moves on from it by the clock.
      soldOutRounds: live.phase === 'round_sold_out' && live.currentRound !== null ? [live.currentRound] : [],
      batchSoldOut: live.phase === 'sold_out',
      held: b.held ?? 0,
      limit: b.perCitizenLimit,
      blocked: live.phase === 'not_eligible' ? (INELIGIBLE_REASON[live.reason ?? ''] ?? '暂不可领取') : null,
      over: live.phase === 'over',
    },
  };
}

export async function loadCatalogue(): Promise<CampaignOffers[]> {
  const sent = Date.now();
  const res = await api.get<{ serverTime: string; campaigns: CatalogueCampaign[] }>('/claiming/campaigns', {
    retries: 4,
  });
  // When /time did not answer, the catalogue's own server time keeps the countdown off the phone's clock.
  noteServerTime(res.serverTime, sent, Date.now());
  return res.campaigns
    .map((c) => ({
      id: c.id,
      name: c.name,
      description: c.description ?? '',
      offers: c.batches.map((b) => toOffer(c, b)),
    }))
    .filter((c) => c.offers.length > 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a failed claim may have gone through: a dropped connection or a 5xx from anything but the
 * API's own "nothing was claimed" (503 UNAVAILABLE; its "unknown" variant is an outcome, never retried).
 */
function mayHaveClaimed(e: ApiError): boolean {
  return e.status === 0 || (e.status >= 500 && e.code !== 'UNAVAILABLE');
}

/**
 * One claim, retried on 429/5xx/network with backoff and full jitter. The answer of a claim that went
 * through can be lost (the connection drops, a proxy times out): with a limit of one a retry gets
 * "limit reached" (shown as 已领取), but with a higher limit it would take a second voucher. So before
 * retrying after such a failure the page counts the citizen's vouchers of the batch, and more than
 * `heldBefore` (what they held at the tap) means the claim went through. If the last try fails that
 * way too, the outcome is unknown (the page sends the citizen to 我的券).
 */
export async function claim(batchId: number, heldBefore: number): Promise<ClaimOutcome> {
  for (let attempt = 0; ; attempt++) {
    const sent = Date.now();
    try {
      const voucher = await api.post<{ id: number }>(`/claiming/batches/${batchId}/claim`);
      return { kind: 'claimed', voucherId: voucher?.id ?? null };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const serverTime = (e.details as { serverTime?: unknown } | undefined)?.serverTime;
      if (typeof serverTime === 'string') noteServerTime(serverTime, sent, Date.now());
      const outcome = refusalOutcome(e.code, e.details, e.message);
      // A tap a moment early (the page's clock estimate is off by a round trip): wait and retry.
      // Before the first round that is "not open"; between rounds the previous round is still the
      // open one, and its answer is "sold out" with the next opening moments away.
      const earlyMs =
        outcome?.kind === 'not_open'
          ? outcome.earlyMs
          : outcome?.kind === 'round_sold_out'
            ? outcome.nextInMs
            : null;
      if (earlyMs !== null && earlyMs > 0 && earlyMs < 3000 && attempt < 4) {
        await sleep(earlyMs + Math.random() * 300);
        continue;
      }
      if (outcome) return outcome;
      if (!e.retryable) throw e;
      if (attempt >= 4) {
        if (mayHaveClaimed(e)) return { kind: 'unknown' };
        throw e;
      }
      const retryAfter = (e as { retryAfterS?: number }).retryAfterS ?? 0;
      await sleep(backoffMs(attempt, retryAfter, 250, 4000));
      if (mayHaveClaimed(e)) {
        const held = await heldNow(batchId).catch(() => null);
        if (held !== null && held > heldBefore) return { kind: 'claimed', voucherId: null };
      }
    }
  }
}

/** How many vouchers of a batch the citizen holds now (after an answer that did not say). */
export async function heldNow(batchId: number): Promise<number> {
  const res = await api.get<{ items: { batchId: number }[] }>('/me/vouchers', { retries: 2 });
  return heldOf(res.items, batchId);
}
