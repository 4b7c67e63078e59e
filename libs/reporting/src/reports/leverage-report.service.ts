import { Inject, Injectable } from '@nestjs/common';
import { CATEGORIES, DISTRICTS } from '@jinli/contracts';
import { addDays, APP_CONFIG, AppConfig, Clock, Fen, TransactionRunner, zonedInstant } from '@jinli/platform';
import { OutboxProcessor, queryRows } from '@jinli/settlement';
import { ReportAggregatesService } from '../aggregates/report-aggregates.service';
import { ReportingException } from '../reporting.exception';

export const REPORT_GROUPS = [
  'total',
  'campaign',
  'batch',
  'funder',
  'district',
  'category',
  'merchant',
  'day',
  'hour',
] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];

export interface ReportQuery {
  fromDay: string;
  toDay: string;
  groupBy: ReportGroup;
  campaignId?: number;
  batchId?: number;
  funderId?: number;
  district?: string;
  category?: string;
  merchantId?: number;
}

/** Integer figures of one group (fen and counts), plus ratios computed from them for display. */
export interface ReportFigures {
  /** Face value of the vouchers claimed (issued); null where claims cannot be attributed. */
  issuedFen: Fen | null;
  claimedCount: number | null;
  /** Vouchers offered by the batches running in the range; null for day and hour groups. */
  quota: number | null;
  redemptionCount: number;
  reversedCount: number;
  /** Discounts (subsidy) of every redemption, and of the reversed ones. */
  grossDiscountFen: Fen;
  reversedFen: Fen;
  /** Voucher money spent: discounts net of reversals. */
  redeemedFen: Fen;
  /** Consumption driven: net order amounts of live redemptions. */
  drivenFen: Fen;
  refundCount: number | null;
  refundedFen: Fen | null;
  /** drivenFen / redeemedFen. */
  leverageOnRedeemed: number | null;
  /** drivenFen / issuedFen. */
  leverageOnIssued: number | null;
  /** claimedCount / quota. */
  claimRate: number | null;
  /** Live redemptions / claimedCount. */
  redemptionRate: number | null;
  /** This group's part of the consumption driven in the whole report. */
  shareOfDriven: number | null;
}

export interface ReportRow extends ReportFigures {
  key: string;
  label: string;
}

export interface LeverageReport {
  fromDay: string;
  toDay: string;
  groupBy: ReportGroup;
  filters: Omit<ReportQuery, 'fromDay' | 'toDay' | 'groupBy'>;
  rows: ReportRow[];
  totals: ReportFigures;
  asOf: { generatedAt: Date; outboxPending: number; claimsRefreshedAt: Date | null };
}

/** Longest range of one report. */
export const MAX_REPORT_DAYS = 366;

interface MeasureRow {
  key: string;
  redemptionCount: number;
  reversedCount: number;
  grossDiscountFen: number;
  reversedFen: number;
  drivenFen: number;
  refundCount: number | null;
  refundedFen: number | null;
}

interface ClaimRow {
  key: string;
  issuedFen: number;
  claimedCount: number;
}

const KEY_COLUMN: Record<ReportGroup, string> = {
  total: `'total'`,
  campaign: 'campaign_id::text',
  batch: 'batch_id::text',
  funder: 'funder_id::text',
  district: 'district',
  category: 'category',
  merchant: 'merchant_id::text',
  day: `to_char(day, 'YYYY-MM-DD')`,
  hour: 'hour::text',
};

/**
 * The leverage and programme report, read from the aggregates only: a range over ten million
 * redemptions sums a few thousand aggregate rows. Money stays integer fen; ratios are computed
 * here, at the edge, for display.
 */
@Injectable()
export class LeverageReportService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly outbox: OutboxProcessor,
    private readonly aggregates: ReportAggregatesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async report(query: ReportQuery): Promise<LeverageReport> {
    this.check(query);
    const [groups, total] = await Promise.all([
      this.figures(query),
      this.figures({ ...query, groupBy: 'total' }),
    ]);
    const totals = total.get('total') ?? emptyFigures(this.claimsApply(query));
    const labels = await this.labels(query.groupBy, [...groups.keys()]);
    const rows: ReportRow[] = [...groups.entries()].map(([key, figures]) => ({
      key,
      label: labels.get(key) ?? key,
      ...figures,
      shareOfDriven: ratio(figures.drivenFen, totals.drivenFen),
    }));
    if (query.groupBy === 'day' || query.groupBy === 'hour')
      rows.sort((a, b) =>
        query.groupBy === 'hour' ? Number(a.key) - Number(b.key) : a.key.localeCompare(b.key),
      );
    else rows.sort((a, b) => b.drivenFen - a.drivenFen || a.key.localeCompare(b.key));
    const { fromDay, toDay, groupBy, ...filters } = query;
    return {
      fromDay,
      toDay,
      groupBy,
      filters,
      rows,
      totals: { ...totals, shareOfDriven: totals.drivenFen ? 1 : null },
      asOf: {
        generatedAt: this.clock.now(),
        outboxPending: await this.outbox.pending(),
        claimsRefreshedAt: await this.aggregates.claimsRefreshedAt(),
      },
    };
  }

  private check(q: ReportQuery): void {
    if (q.fromDay > q.toDay)
      throw new ReportingException('REPORT_RANGE_INVALID', 'fromDay must not be after toDay', {
        fromDay: q.fromDay,
        toDay: q.toDay,
      });
    if (addDays(q.fromDay, MAX_REPORT_DAYS - 1) < q.toDay)
      throw new ReportingException('REPORT_RANGE_INVALID', `A report covers at most ${MAX_REPORT_DAYS} days`);
    if (q.groupBy === 'hour' && q.merchantId !== undefined)
      throw new ReportingException(
        'REPORT_GROUPING_UNSUPPORTED',
        'Hourly figures are kept per district and category, not per merchant: group one merchant by day',
      );
  }

  /** Claims are attributable unless the report is cut by where the voucher was used. */
  private claimsApply(q: ReportQuery): boolean {
    return (
      q.district === undefined &&
      q.category === undefined &&
      q.merchantId === undefined &&
      !['district', 'category', 'merchant'].includes(q.groupBy)
    );
  }

  private async figures(q: ReportQuery): Promise<Map<string, Omit<ReportFigures, 'shareOfDriven'>>> {
    const funderBased = q.groupBy === 'funder' || q.funderId !== undefined;
    const merchantBased = q.groupBy === 'merchant' || q.merchantId !== undefined;
    const table = `rpt_${funderBased ? 'funder' : 'redemption'}_${merchantBased ? 'merchant_daily' : 'hourly'}`;
    const key = KEY_COLUMN[q.groupBy];
    const m = this.tx.dataSource.manager;
    const filter = `day BETWEEN $1::date AND $2::date
      AND ($3::int IS NULL OR campaign_id = $3) AND ($4::int IS NULL OR batch_id = $4)
      AND ($5::text IS NULL OR district = $5) AND ($6::text IS NULL OR category = $6)
      AND ${merchantBased ? '($7::int IS NULL OR merchant_id = $7)' : '($7::int IS NULL OR true)'}`;
    // Unused parameters still need a type: `$n IS NULL OR true` gives one.
    const funderFilter = funderBased
      ? 'AND ($8::int IS NULL OR funder_id = $8)'
      : 'AND ($8::int IS NULL OR true)';
    const params = [
      q.fromDay,
      q.toDay,
      q.campaignId ?? null,
      q.batchId ?? null,
      q.district ?? null,
      q.category ?? null,
      q.merchantId ?? null,
      q.funderId ?? null,
    ];
    const measures = funderBased
      ? `sum(redemption_count)::bigint AS "redemptionCount", sum(reversed_count)::bigint AS "reversedCount",
         sum(subsidy_fen)::bigint AS "grossDiscountFen", sum(reversed_subsidy_fen)::bigint AS "reversedFen",
         sum(driven_fen)::bigint AS "drivenFen", NULL::bigint AS "refundCount", NULL::bigint AS "refundedFen"`
      : `sum(redemption_count)::bigint AS "redemptionCount", sum(reversed_count)::bigint AS "reversedCount",
         sum(discount_fen)::bigint AS "grossDiscountFen", sum(reversed_discount_fen)::bigint AS "reversedFen",
         sum(net_order_fen)::bigint AS "drivenFen", sum(refund_count)::bigint AS "refundCount",
         sum(refund_fen)::bigint AS "refundedFen"`;
    const rows = await queryRows<MeasureRow>(
      m,
      `SELECT ${key} AS key, ${measures} FROM ${table}
        WHERE ${filter} ${funderFilter}
        GROUP BY 1`,
      params,
    );
    const claims = this.claimsApply(q) ? await this.claims(q) : undefined;
    const quotas =
      ['total', 'campaign', 'batch', 'funder'].includes(q.groupBy) && claims
        ? await this.quotas(q)
        : undefined;
    const out = new Map<string, Omit<ReportFigures, 'shareOfDriven'>>();
    const keys = new Set([...rows.map((r) => r.key), ...(claims ? claims.keys() : [])]);
    for (const k of keys) {
      const r = rows.find((x) => x.key === k);
      const c = claims?.get(k);
      const redeemedFen = (r?.grossDiscountFen ?? 0) - (r?.reversedFen ?? 0);
      const drivenFen = r?.drivenFen ?? 0;
      const issuedFen = claims ? (c?.issuedFen ?? 0) : null;
      const claimedCount = claims ? (c?.claimedCount ?? 0) : null;
      const quota = quotas ? (quotas.get(k) ?? 0) : null;
      const live = (r?.redemptionCount ?? 0) - (r?.reversedCount ?? 0);
      out.set(k, {
        issuedFen,
        claimedCount,
        quota,
        redemptionCount: r?.redemptionCount ?? 0,
        reversedCount: r?.reversedCount ?? 0,
        grossDiscountFen: r?.grossDiscountFen ?? 0,
        reversedFen: r?.reversedFen ?? 0,
        redeemedFen,
        drivenFen,
        refundCount: funderBased ? null : (r?.refundCount ?? 0),
        refundedFen: funderBased ? null : (r?.refundedFen ?? 0),
        leverageOnRedeemed: ratio(drivenFen, redeemedFen),
        leverageOnIssued: issuedFen === null ? null : ratio(drivenFen, issuedFen),
        claimRate: quota === null || claimedCount === null ? null : ratio(claimedCount, quota),
        redemptionRate: claimedCount === null ? null : ratio(live, claimedCount),
      });
    }
    return out;
  }

  /**
   * Face value claimed per group. Per funder, each campaign's claims count at the funder's share
   * (basis points), so the funders' issued sums to the total; its claimed count is the vouchers of
   * the campaigns it co-funds.
   */
  private async claims(q: ReportQuery): Promise<Map<string, ClaimRow>> {
    const funderBased = q.groupBy === 'funder' || q.funderId !== undefined;
    const key =
      q.groupBy === 'funder'
        ? 'cf.funder_id::text'
        : KEY_COLUMN[q.groupBy].replace(/\b(day|hour|campaign_id|batch_id)\b/g, 'c.$1');
    const issued = funderBased
      ? 'round(sum(c.issued_fen::numeric * cf.share_bp) / 10000)::bigint'
      : 'sum(c.issued_fen)::bigint';
    const rows = await queryRows<ClaimRow>(
      this.tx.dataSource.manager,
      `SELECT ${key} AS key, ${issued} AS "issuedFen", sum(c.claimed_count)::bigint AS "claimedCount"
         FROM rpt_claim_hourly c
         ${funderBased ? 'JOIN campaign_funder cf ON cf.campaign_id = c.campaign_id AND ($5::int IS NULL OR cf.funder_id = $5)' : ''}
        WHERE c.day BETWEEN $1::date AND $2::date
          AND ($3::int IS NULL OR c.campaign_id = $3) AND ($4::int IS NULL OR c.batch_id = $4)
          ${funderBased ? '' : 'AND ($5::int IS NULL OR true)'}
        GROUP BY 1`,
      [q.fromDay, q.toDay, q.campaignId ?? null, q.batchId ?? null, q.funderId ?? null],
    );
    return new Map(rows.map((r) => [r.key, r]));
  }

  /** Vouchers offered by the published batches whose campaign runs during the range. */
  private async quotas(q: ReportQuery): Promise<Map<string, number>> {
    const tz = this.config.businessTimeZone;
    const funderBased = q.groupBy === 'funder' || q.funderId !== undefined;
    const key =
      q.groupBy === 'funder'
        ? 'cf.funder_id::text'
        : q.groupBy === 'campaign'
          ? 'b.campaign_id::text'
          : q.groupBy === 'batch'
            ? 'b.id::text'
            : `'total'`;
    const rows = await queryRows<{ key: string; quota: number }>(
      this.tx.dataSource.manager,
      `SELECT ${key} AS key, sum(b.quota)::bigint AS quota
         FROM voucher_batch b JOIN campaign c ON c.id = b.campaign_id
         ${funderBased ? 'JOIN campaign_funder cf ON cf.campaign_id = c.id AND ($5::int IS NULL OR cf.funder_id = $5)' : ''}
        WHERE b.status <> 'draft' AND c.starts_at < $2 AND c.ends_at > $1
          AND ($3::int IS NULL OR b.campaign_id = $3) AND ($4::int IS NULL OR b.id = $4)
          ${funderBased ? '' : 'AND ($5::int IS NULL OR true)'}
        GROUP BY 1`,
      [
        zonedInstant(q.fromDay, '00:00', tz),
        zonedInstant(addDays(q.toDay, 1), '00:00', tz),
        q.campaignId ?? null,
        q.batchId ?? null,
        q.funderId ?? null,
      ],
    );
    return new Map(rows.map((r) => [r.key, r.quota]));
  }

  private async labels(group: ReportGroup, keys: string[]): Promise<Map<string, string>> {
    const m = this.tx.dataSource.manager;
    const ids = keys.map(Number).filter((n) => Number.isSafeInteger(n));
    const named = async (table: string) =>
      new Map(
        (
          await queryRows<{ id: number; name: string }>(
            m,
            `SELECT id, name FROM ${table} WHERE id = ANY($1::int[])`,
            [ids],
          )
        ).map((r) => [String(r.id), r.name]),
      );
    switch (group) {
      case 'total':
        return new Map([['total', '合计']]);
      case 'campaign':
        return named('campaign');
      case 'batch':
        return named('voucher_batch');
      case 'funder':
        return named('funder');
      case 'merchant':
        return named('merchant');
      case 'district':
        return new Map(DISTRICTS.map((d) => [d.code, d.name]));
      case 'category':
        return new Map(CATEGORIES.map((c) => [c.code, c.name]));
      case 'day':
        return new Map(keys.map((k) => [k, k]));
      case 'hour':
        return new Map(
          keys.map((k) => [k, `${k.padStart(2, '0')}:00-${String(Number(k) + 1).padStart(2, '0')}:00`]),
        );
    }
  }
}

/** A ratio for display, rounded to 4 decimals; null when the base is zero or unknown. */
export function ratio(numerator: number, denominator: number): number | null {
  if (!denominator) return null;
  return Math.round((numerator / denominator) * 10_000) / 10_000;
}

function emptyFigures(claims: boolean): Omit<ReportFigures, 'shareOfDriven'> {
  return {
    issuedFen: claims ? 0 : null,
    claimedCount: claims ? 0 : null,
    quota: null,
    redemptionCount: 0,
    reversedCount: 0,
    grossDiscountFen: 0,
    reversedFen: 0,
    redeemedFen: 0,
    drivenFen: 0,
    refundCount: 0,
    refundedFen: 0,
    leverageOnRedeemed: null,
    leverageOnIssued: null,
    claimRate: null,
    redemptionRate: null,
  };
}
