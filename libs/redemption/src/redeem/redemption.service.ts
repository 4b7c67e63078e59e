import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  LifecycleStatus,
  OutboxTopic,
  RedemptionCreatedPayload,
  RefundPolicy,
  Role,
  RuleFailure,
  VoucherStatus,
} from '@jinli/contracts';
import { StoreAccessService, StoreContext } from '@jinli/issuing';
import {
  Actor,
  AppConfig,
  APP_CONFIG,
  AuditEntry,
  AuditService,
  AuditSink,
  businessDayOf,
  Clock,
  counter,
  Fen,
  IdempotencyService,
  IdempotentResponse,
  isConstraintViolation,
  preparedQuery,
  TransactionRunner,
} from '@jinli/platform';
import { ForgedCodeGuard } from '../codes/forged-code-guard';
import { VoucherCodeService } from '../codes/voucher-code.service';
import { VerifiedCode } from '../codes/voucher-code';
import { RedemptionException } from '../redemption.exception';
import { evaluateRedemption, RedemptionFacts, ruleFailure, UsageWindowRule } from '../rules/redemption-rules';
import { SubsidyPart } from '../rules/subsidy-split';
import { RedemptionView } from './redemption.views';

export interface RedeemInput {
  /** The scanned QR payload or the 18 digits. */
  code: string;
  orderAmountFen: Fen;
  storeId: number;
  /** The till's order number, when it sends one: an order takes one voucher. */
  orderRef?: string;
  /** The voucher a preview showed: a code of another voucher is refused. */
  voucherId?: number;
}

export interface PreviewView {
  ok: boolean;
  voucherId: number;
  batch: {
    id: number;
    name: string;
    faceValueFen: Fen;
    thresholdFen: Fen;
    usageWindows: UsageWindowRule[];
  };
  validUntil: string;
  orderAmountFen: Fen;
  discountFen: Fen;
  payableFen: Fen;
  parts: SubsidyPart[];
  failures: RuleFailure[];
}

interface FactsRow {
  id: number;
  status: VoucherStatus;
  valid_from: Date;
  valid_until: Date;
  batch_id: number;
  citizen_id: number;
  campaign_id: number;
  batch_name: string;
  face_value_fen: number;
  threshold_fen: number;
  allowed_categories: string[];
  allowed_districts: string[];
  merchant_whitelist: number[];
  usage_windows: UsageWindowRule[];
  refund_policy: RefundPolicy;
  batch_status: LifecycleStatus;
  campaign_status: LifecycleStatus;
  funders:
    | {
        funderId: number;
        shareBp: number;
        budgetFen: number;
        committedFen: number;
        status: LifecycleStatus;
      }[]
    | null;
}

const redemptionsTotal = counter('jinli_redemptions_total', 'Redemptions committed');
const redemptionRefusals = counter('jinli_redemption_refusals_total', 'Redemptions refused, by code', [
  'code',
]);

/** Preview and redeem: a voucher applied to an order at a store, exactly once. */
@Injectable()
export class RedemptionService {
  private readonly log = new Logger(RedemptionService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly codes: VoucherCodeService,
    private readonly access: StoreAccessService,
    private readonly audit: AuditService,
    private readonly idempotency: IdempotencyService,
    private readonly forgedCodes: ForgedCodeGuard,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A dry run: the discount, what the customer pays, and every rule that fails. Changes nothing. */
  async preview(actor: Actor, input: RedeemInput): Promise<PreviewView> {
    const m = this.tx.dataSource.manager;
    const ctx = await this.authorize(actor, input.storeId, 'redemption.preview', m);
    const code = await this.checkCode(actor, ctx, input);
    const row = await this.loadFacts(m, code.voucherId);
    const facts = await this.facts(m, row, ctx, input.orderRef);
    const outcome = evaluateRedemption(
      facts,
      input.orderAmountFen,
      this.clock.now(),
      this.config.businessTimeZone,
    );
    return {
      ok: outcome.failures.length === 0,
      voucherId: row.id,
      batch: {
        id: row.batch_id,
        name: row.batch_name,
        faceValueFen: row.face_value_fen,
        thresholdFen: row.threshold_fen,
        usageWindows: row.usage_windows,
      },
      validUntil: row.valid_until.toISOString(),
      orderAmountFen: input.orderAmountFen,
      discountFen: outcome.discountFen,
      payableFen: outcome.payableFen,
      parts: outcome.parts,
      failures: outcome.failures,
    };
  }

  /**
   * Redeems a voucher. One transaction holds the guarded voucher update, the redemption and its
   * funder parts, the funders' committed budget (added by a database trigger at commit, where
   * ck_funder_committed_within_budget refuses an overspent funder), the audit entry, the outbox event
   * and the stored idempotent answer: all of them commit, or none.
   */
  async redeem(
    actor: Actor,
    input: RedeemInput,
    idempotencyKey: string,
  ): Promise<IdempotentResponse<RedemptionView>> {
    const refusals: AuditEntry[] = [];
    try {
      const result = await this.idempotency.run(
        {
          scope: `${actor.role}:${actor.id}`,
          key: idempotencyKey,
          fingerprint: { op: 'redemption.create', ...input },
        },
        async (m) => ({
          status: 201,
          body: await this.redeemIn(m, actor, input, async (entry) => void refusals.push(entry)),
        }),
      );
      if (!result.replayed) redemptionsTotal.inc();
      return result;
    } catch (e) {
      const refusal = isConstraintViolation(e, 'ck_funder_committed_within_budget')
        ? new RedemptionException('FUNDER_BUDGET_EXHAUSTED', "A funder's budget cannot cover this subsidy")
        : e;
      if (refusal instanceof RedemptionException) redemptionRefusals.inc({ code: refusal.code });
      throw refusal;
    } finally {
      // Refusals are audited once the transaction has given its connection back (see AuditSink).
      await this.recordAll(refusals);
    }
  }

  /** Writes audit entries collected during a transaction, after it ended. */
  async recordAll(entries: AuditEntry[]): Promise<void> {
    for (const entry of entries) await this.audit.record(entry);
  }

  private async redeemIn(
    m: EntityManager,
    actor: Actor,
    input: RedeemInput,
    audit: AuditSink,
  ): Promise<RedemptionView> {
    const ctx = await this.authorize(actor, input.storeId, 'redemption.create', m, audit);
    const code = await this.checkCode(actor, ctx, input, audit);
    // Scans of one citizen at one store are decided one at a time, so the repeat guard (a later
    // statement, with a later snapshot) sees the other: the lock is taken while the facts are read.
    const row = await this.loadFacts(
      m,
      code.voucherId,
      this.config.redemption.repeatWindowS > 0 ? ctx.store.id : undefined,
    );
    const facts = await this.facts(m, row, ctx, input.orderRef);
    const now = this.clock.now();
    const outcome = evaluateRedemption(facts, input.orderAmountFen, now, this.config.businessTimeZone);
    if (outcome.failures.length > 0) {
      const first = outcome.failures[0];
      throw new RedemptionException(first.code, first.message, { failures: outcome.failures });
    }

    const businessDay = businessDayOf(now, this.config.businessTimeZone);
    const redeemedAt = now.toISOString();
    const payload: Omit<RedemptionCreatedPayload, 'redemptionId' | 'parts'> = {
      voucherId: row.id,
      batchId: row.batch_id,
      campaignId: row.campaign_id,
      merchantId: ctx.merchant.id,
      storeId: ctx.store.id,
      citizenId: row.citizen_id,
      orderAmountFen: input.orderAmountFen,
      discountFen: outcome.discountFen,
      redeemedAt,
      businessDay,
    };
    let written: { id: number; parts: { id: number; funder_id: number; amount_fen: number }[] } | undefined;
    try {
      // One round trip: the guarded update is the proof under concurrency (only one transaction moves
      // the voucher out of 'claimed'); the redemption, its parts and the outbox event follow from it.
      [written] = await preparedQuery<{
        id: number;
        parts: { id: number; funder_id: number; amount_fen: number }[];
      }>(
        m,
        'jinli_redemption_write',
        `WITH v AS (
           UPDATE voucher SET status = 'redeemed', status_changed_at = $2
            WHERE id = $1 AND status = 'claimed' AND valid_until > $2 RETURNING id),
         r AS (
           INSERT INTO redemption (voucher_id, batch_id, campaign_id, merchant_id, store_id, cashier_id, citizen_id,
             order_amount_fen, discount_fen, net_order_amount_fen, status, redeemed_at, business_day, order_ref)
           SELECT v.id, $3, $4, $5, $6, $7, $8, $9, $10, $9, 'active', $2, $11, $12 FROM v RETURNING id),
         p AS (
           INSERT INTO redemption_part (redemption_id, funder_id, merchant_id, business_day, amount_fen)
           SELECT r.id, x.funder_id, $5, $11, x.amount FROM r, unnest($13::int[], $14::bigint[]) AS x(funder_id, amount)
            ORDER BY x.funder_id -- the commit-time funder triggers fire (and lock) in this order
           RETURNING id, funder_id, amount_fen),
         parts AS (
           SELECT COALESCE(jsonb_agg(jsonb_build_object('id', p.id, 'funder_id', p.funder_id, 'amount_fen', p.amount_fen)
                  ORDER BY p.funder_id), '[]') AS list FROM p),
         o AS (
           INSERT INTO outbox_event (topic, aggregate_id, payload, created_at)
           SELECT $16, r.id::text,
                  $15::jsonb || jsonb_build_object('redemptionId', r.id, 'parts',
                    (SELECT COALESCE(jsonb_agg(jsonb_build_object('partId', e->'id', 'funderId', e->'funder_id',
                       'amountFen', e->'amount_fen')), '[]') FROM parts, jsonb_array_elements(parts.list) e)),
                  $2
             FROM r RETURNING id)
         SELECT r.id, parts.list AS parts FROM r, parts, o`,
        [
          row.id,
          now,
          row.batch_id,
          row.campaign_id,
          ctx.merchant.id,
          ctx.store.id,
          actor.id,
          row.citizen_id,
          input.orderAmountFen,
          outcome.discountFen,
          businessDay,
          input.orderRef ?? null,
          outcome.parts.map((p) => p.funderId),
          outcome.parts.map((p) => p.amountFen),
          JSON.stringify(payload),
          OutboxTopic.RedemptionCreated,
        ],
      );
    } catch (e) {
      if (isConstraintViolation(e, 'uq_redemption_live_voucher'))
        throw new RedemptionException(
          'VOUCHER_ALREADY_REDEEMED',
          'The voucher already has a live redemption',
        );
      // Another till redeemed a voucher for the same order meanwhile.
      if (isConstraintViolation(e, 'uq_redemption_live_order'))
        throw new RedemptionException(
          'VOUCHERS_PER_ORDER_EXCEEDED',
          'This order already has a voucher: one voucher per order',
          { failures: [ruleFailure('VOUCHERS_PER_ORDER_EXCEEDED', { limit: 1 })] },
        );
      throw e;
    }
    if (!written) {
      throw new RedemptionException(
        'VOUCHER_ALREADY_REDEEMED',
        'The voucher was redeemed or changed meanwhile',
        {
          voucherId: row.id,
        },
      );
    }
    const redemptionId = written.id;
    const view: RedemptionView = {
      id: redemptionId,
      voucherId: row.id,
      batchId: row.batch_id,
      batchName: row.batch_name,
      campaignId: row.campaign_id,
      merchantId: ctx.merchant.id,
      storeId: ctx.store.id,
      cashierId: actor.id,
      orderRef: input.orderRef ?? null,
      orderAmountFen: input.orderAmountFen,
      discountFen: outcome.discountFen,
      payableFen: outcome.payableFen,
      netOrderAmountFen: input.orderAmountFen,
      status: 'active',
      redeemedAt,
      businessDay,
      reversedAt: null,
      parts: written.parts.map((p) => ({ partId: p.id, funderId: p.funder_id, amountFen: p.amount_fen })),
    };
    await this.audit.record(
      {
        actor,
        action: 'redemption.create',
        entityType: 'redemption',
        entityId: redemptionId,
        details: {
          voucherId: row.id,
          storeId: ctx.store.id,
          orderAmountFen: input.orderAmountFen,
          discountFen: outcome.discountFen,
          parts: outcome.parts,
        },
      },
      m,
    );
    return view;
  }

  /**
   * Cashiers act only for their own store, owners for any store of their merchant; the store's
   * merchant must be approved. Refusals are audited (outside the caller's transaction).
   */
  async authorize(
    actor: Actor,
    storeId: number,
    action: string,
    m: EntityManager,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<StoreContext> {
    const ctx = await this.access.assertStore(actor, storeId, action, m, audit);
    if (actor.role === Role.Cashier && actor.storeId !== storeId) {
      await audit({
        actor,
        action,
        entityType: 'store',
        entityId: storeId,
        outcome: 'denied',
        details: { reason: "not the cashier's store", cashierStoreId: actor.storeId ?? null },
      });
      throw new RedemptionException('AUTH_STORE_FORBIDDEN', 'A cashier acts only for their own store', {
        storeId,
      });
    }
    return ctx;
  }

  /**
   * Verifies the code. Every scan passes the forged-code guard first (per cashier, store and
   * merchant); a forged code stays counted and is audited, any other outcome gives its count back.
   */
  private async checkCode(
    actor: Actor,
    ctx: StoreContext,
    input: RedeemInput,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<VerifiedCode> {
    const ticket = await this.forgedCodes.admit(actor, ctx.store.id, ctx.merchant.id, audit);
    let code: VerifiedCode;
    try {
      code = this.codes.verify(input.code, input.voucherId);
    } catch (e) {
      if (e instanceof RedemptionException && e.code === 'VOUCHER_CODE_FORGED') {
        await audit({
          actor,
          action: 'redemption.code_refused',
          entityType: 'store',
          entityId: input.storeId,
          outcome: 'denied',
          details: { code: e.code, reason: (e.details as { reason?: string })?.reason ?? null },
        });
        this.log.warn(`forged voucher code from ${actor.role} ${actor.id} at store ${input.storeId}`);
      } else {
        await ticket.release();
      }
      throw e;
    }
    await ticket.release();
    return code;
  }

  private async loadFacts(
    m: EntityManager,
    voucherId: number,
    lockRepeatAtStore?: number,
  ): Promise<FactsRow> {
    const lock = lockRepeatAtStore !== undefined;
    const [row] = await preparedQuery<FactsRow>(
      m,
      lock ? 'jinli_redemption_facts_locked' : 'jinli_redemption_facts',
      `SELECT ${lock ? "pg_advisory_xact_lock(hashtextextended('jinli-repeat:' || v.citizen_id || ':' || $2, 0))," : ''}
              v.id, v.status, v.valid_from, v.valid_until, v.batch_id, v.citizen_id,
              b.campaign_id, b.name AS batch_name, b.face_value_fen, b.threshold_fen, b.allowed_categories,
              b.allowed_districts, b.merchant_whitelist, b.usage_windows, b.refund_policy,
              b.status AS batch_status, c.status AS campaign_status,
              (SELECT json_agg(json_build_object('funderId', cf.funder_id, 'shareBp', cf.share_bp,
                        'budgetFen', f.budget_fen, 'committedFen', f.committed_fen, 'status', f.status)
                        ORDER BY cf.funder_id)
                 FROM campaign_funder cf JOIN funder f ON f.id = cf.funder_id
                WHERE cf.campaign_id = b.campaign_id) AS funders
         FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id JOIN campaign c ON c.id = b.campaign_id
        WHERE v.id = $1`,
      lock ? [voucherId, lockRepeatAtStore] : [voucherId],
    );
    if (!row) throw new RedemptionException('VOUCHER_NOT_FOUND', `Voucher ${voucherId} was not found`);
    return row;
  }

  private async facts(
    m: EntityManager,
    row: FactsRow,
    ctx: StoreContext,
    orderRef: string | undefined,
  ): Promise<RedemptionFacts> {
    const facts: RedemptionFacts = {
      voucher: { id: row.id, status: row.status, validFrom: row.valid_from, validUntil: row.valid_until },
      batch: {
        faceValueFen: row.face_value_fen,
        thresholdFen: row.threshold_fen,
        allowedCategories: row.allowed_categories,
        allowedDistricts: row.allowed_districts,
        merchantWhitelist: row.merchant_whitelist,
        usageWindows: row.usage_windows,
        status: row.batch_status,
      },
      campaignStatus: row.campaign_status,
      funders: row.funders ?? [],
      merchant: { id: ctx.merchant.id, category: ctx.merchant.category },
      store: { district: ctx.store.district },
    };
    const windowS = this.config.redemption.repeatWindowS;
    if (!orderRef && windowS === 0) return facts;
    // Another voucher's live redemption on the order (one voucher per order), and the citizen's latest
    // one at this store within the repeat window unless both name different orders. This voucher's own
    // redemption is left out: concurrent scans of it end at the guarded update (already redeemed).
    const repeatSql = `(SELECT max(redeemed_at) FROM redemption
        WHERE store_id = $4 AND citizen_id = $5 AND status = 'active' AND redeemed_at > $6
          AND (order_ref IS NULL OR $2::text IS NULL) AND voucher_id <> $3)`;
    const [o] = await preparedQuery<{ order_taken: boolean; repeat_at: Date | null }>(
      m,
      windowS > 0 ? 'jinli_redemption_order_repeat' : 'jinli_redemption_order',
      `SELECT EXISTS (SELECT 1 FROM redemption
                       WHERE merchant_id = $1 AND order_ref = $2 AND status = 'active' AND voucher_id <> $3)
                AS order_taken,
              ${windowS > 0 ? repeatSql : 'NULL::timestamptz'} AS repeat_at`,
      windowS > 0
        ? [
            ctx.merchant.id,
            orderRef ?? null,
            row.id,
            ctx.store.id,
            row.citizen_id,
            new Date(this.clock.nowMs() - windowS * 1000),
          ]
        : [ctx.merchant.id, orderRef ?? null, row.id],
    );
    facts.orderTaken = o.order_taken;
    if (o.repeat_at) facts.repeat = { redeemedAt: o.repeat_at, windowS };
    return facts;
  }
}
