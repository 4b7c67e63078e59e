import { RefundPolicy } from '@jinli/contracts';
import { Fen, HHMM } from '@jinli/platform';
import type { UsageWindow } from '../entities';
import { IssuingException } from '../issuing.exception';

export interface RoundInput {
  opensAt: Date;
  closesAt?: Date | null;
  quota: number;
}

export type ValidityInput = { kind: 'fixed'; from: Date; until: Date } | { kind: 'relative'; days: number };

export interface BatchInput {
  name: string;
  description?: string;
  faceValueFen: Fen;
  thresholdFen: Fen;
  allowedCategories?: string[];
  allowedDistricts?: string[];
  merchantWhitelist?: number[];
  validity: ValidityInput;
  usageWindows?: UsageWindow[];
  quota: number;
  perCitizenLimit?: number;
  /** Always 1 when given: one voucher per order (see checkVouchersPerOrder). */
  vouchersPerOrder?: number;
  requiresVerified?: boolean;
  rollOverUnclaimed?: boolean;
  recycleExpired?: boolean;
  refundPolicy?: RefundPolicy;
  rounds: RoundInput[];
}

/** Rules that decide where subsidy money goes and how much: frozen once anyone has claimed. */
export const MONEY_RULES = [
  'faceValueFen',
  'thresholdFen',
  'validity',
  'refundPolicy',
  'perCitizenLimit',
] as const;

/**
 * One voucher per order: a redemption records the whole order amount, so a second voucher on the
 * same order would count it twice (consumption driven, day totals, refund thresholds). Splitting an
 * order between vouchers needs order-level allocation, which Jinli does not have.
 */
export function checkVouchersPerOrder(vouchersPerOrder: number | undefined): void {
  if (vouchersPerOrder !== undefined && vouchersPerOrder !== 1) {
    throw new IssuingException(
      'VALIDATION_FAILED',
      'vouchersPerOrder must be 1: Jinli takes one voucher per order',
      [{ field: 'vouchersPerOrder', problems: ['must be 1: Jinli takes one voucher per order'] }],
    );
  }
}

export function checkAmounts(faceValueFen: Fen, thresholdFen: Fen): void {
  if (thresholdFen < faceValueFen) {
    throw new IssuingException(
      'BATCH_THRESHOLD_BELOW_FACE_VALUE',
      `The threshold (${thresholdFen} fen) is below the face value (${faceValueFen} fen): an order must cost at least the discount`,
      { faceValueFen, thresholdFen },
    );
  }
}

export function checkValidity(v: ValidityInput): void {
  if (v.kind === 'fixed' && !(v.until.getTime() > v.from.getTime())) {
    throw new IssuingException('BATCH_VALIDITY_INVALID', 'A fixed validity must end after it starts');
  }
  if (v.kind === 'relative' && !(Number.isInteger(v.days) && v.days > 0 && v.days <= 366)) {
    throw new IssuingException(
      'BATCH_VALIDITY_INVALID',
      'Relative validity is 1 to 366 days after the claim',
    );
  }
}

export function checkUsageWindows(windows: UsageWindow[]): void {
  for (const w of windows) {
    if (!HHMM.test(w.start) || !HHMM.test(w.end) || w.start === w.end) {
      throw new IssuingException(
        'BATCH_USAGE_WINDOW_INVALID',
        `Usage window ${w.start}-${w.end} is not HH:mm-HH:mm with distinct ends`,
        {
          window: w,
        },
      );
    }
  }
}

/**
 * What a batch's rounds may hand out in all: its quota plus the quota that expired vouchers gave back
 * and recycling has not yet carried into a round (roll-over moves between rounds cancel out: carried
 * out of one, into another). Used when a round is added and when an edit re-checks the rounds it
 * keeps, so an edit after a round was added for returned quota is not refused against the bare quota.
 */
export function roundsCapacity(
  quota: number,
  returnedCount: number,
  rounds: { carriedIn: number; carriedOut: number }[],
): number {
  const recycledIntoRounds = rounds.reduce((n, r) => n + r.carriedIn - r.carriedOut, 0);
  return quota + returnedCount - recycledIntoRounds;
}

/** Rounds open in order, inside the campaign, do not overlap, and hand out at most the batch quota. */
export function checkRounds(
  rounds: RoundInput[],
  quota: number,
  campaign: { startsAt: Date; endsAt: Date },
): void {
  if (rounds.length === 0)
    throw new IssuingException('BATCH_ROUNDS_INVALID', 'A batch needs at least one claim round');
  let total = 0;
  rounds.forEach((r, i) => {
    const opens = r.opensAt.getTime();
    if (
      opens < campaign.startsAt.getTime() ||
      opens >= campaign.endsAt.getTime() ||
      (r.closesAt && r.closesAt.getTime() > campaign.endsAt.getTime())
    ) {
      throw new IssuingException(
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
        `Round ${i + 1} (${r.opensAt.toISOString()}) is outside the campaign (${campaign.startsAt.toISOString()} to ${campaign.endsAt.toISOString()})`,
        { round: i + 1 },
      );
    }
    if (r.closesAt && r.closesAt.getTime() <= opens) {
      throw new IssuingException('BATCH_ROUNDS_INVALID', `Round ${i + 1} closes before it opens`, {
        round: i + 1,
      });
    }
    if (i > 0) {
      const prev = rounds[i - 1];
      const prevEnd = prev.closesAt?.getTime() ?? prev.opensAt.getTime();
      if (opens <= prev.opensAt.getTime() || opens < prevEnd) {
        throw new IssuingException(
          'BATCH_ROUNDS_INVALID',
          `Round ${i + 1} must open after round ${i} (and after it closes)`,
          { round: i + 1 },
        );
      }
    }
    if (!(Number.isInteger(r.quota) && r.quota > 0)) {
      throw new IssuingException('BATCH_ROUNDS_INVALID', `Round ${i + 1} needs a positive quota`, {
        round: i + 1,
      });
    }
    total += r.quota;
  });
  if (total > quota) {
    throw new IssuingException(
      'BATCH_ROUNDS_OVER_QUOTA',
      `The rounds hand out ${total} vouchers, more than the batch quota of ${quota}`,
      {
        roundsTotal: total,
        quota,
      },
    );
  }
}

export function checkBudget(
  campaignBudgetFen: Fen,
  otherBatchesFen: Fen,
  quota: number,
  faceValueFen: Fen,
): void {
  const need = otherBatchesFen + quota * faceValueFen;
  if (!Number.isSafeInteger(need) || need > campaignBudgetFen) {
    throw new IssuingException(
      'BATCH_OVER_CAMPAIGN_BUDGET',
      `Quota x face value (${quota} x ${faceValueFen} fen) plus the campaign's other batches (${otherBatchesFen} fen) exceeds the campaign budget of ${campaignBudgetFen} fen`,
      { campaignBudgetFen, otherBatchesFen, requestedFen: quota * faceValueFen },
    );
  }
}
