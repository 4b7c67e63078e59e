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
import { STORE_MERCHANT_COLUMNS, StoreAccessService, StoreContext, StoreMerchantRow } from '@jinli/issuing';
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
  StoredRow,
  isConstraintViolation,
  pooledQuery,
  TransactionRunner,
} from '@jinli/platform';
import { ForgedCodeGuard, ScanVerdict } from '../codes/forged-code-guard';
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

/**
 * Everything one scan is decided on, read in one round trip: the store and its merchant, the voucher
 * with its batch, campaign and funders, whether the order already has a voucher, the citizen's latest
 * redemption at this store within the repeat window, and the Idempotency-Key's stored answer.
 * Columns of what does not exist are null.
 */
type ReadRow = StoreMerchantRow & {
  v_id: number | null;
  v_status: VoucherStatus;
  v_valid_from: Date;
  v_valid_until: Date;
  v_batch_id: number;
  v_citizen_id: number;
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
  order_taken: boolean;
  repeat_at: Date | null;
} & Partial<StoredRow<RedemptionView>>;

/** $1 store, $2 voucher (null: no valid code), $3 order ref, $4 repeat window start (null: off), $5/$6 key. */
const READ_SQL = `SELECT ${STORE_MERCHANT_COLUMNS},
       v.id AS v_id, v.status AS v_status, v.valid_from AS v_valid_from, v.valid_until AS v_valid_until,
       v.batch_id AS v_batch_id, v.citizen_id AS v_citizen_id,
       b.campaign_id, b.name AS batch_name, b.face_value_fen, b.threshold_fen, b.allowed_categories,
       b.allowed_districts, b.merchant_whitelist, b.usage_windows, b.refund_policy,
       b.status AS batch_status, c.status AS campaign_status,
       (SELECT json_agg(json_build_object('funderId', cf.funder_id, 'shareBp', cf.share_bp,
                 'budgetFen', f.budget_fen, 'committedFen', f.committed_fen, 'status', f.status)
                 ORDER BY cf.funder_id)
          FROM campaign_funder cf JOIN funder f ON f.id = cf.funder_id
         WHERE cf.campaign_id = b.campaign_id) AS funders,
       -- Another voucher's live redemption on the order (one voucher per order).
       EXISTS (SELECT 1 FROM redemption x
                WHERE $3::text IS NOT NULL AND x.merchant_id = s.merchant_id AND x.order_ref = $3
                  AND x.status = 'active' AND x.voucher_id <> v.id) AS order_taken,
       -- The citizen's latest live redemption at this store within the window, unless both name
       -- different orders. This voucher's own is left out: concurrent scans of it end at the guarded update.
       (SELECT max(x.redeemed_at) FROM redemption x
         WHERE $4::timestamptz IS NOT NULL AND x.store_id = s.id AND x.citizen_id = v.citizen_id
           AND x.status = 'active' AND x.redeemed_at > $4 AND (x.order_ref IS NULL OR $3::text IS NULL)
           AND x.voucher_id <> v.id) AS repeat_at,
       r.request_hash, r.response_status, r.response_body
  FROM (SELECT 1) one
  LEFT JOIN store s ON s.id = $1
  LEFT JOIN merchant m ON m.id = s.merchant_id
  LEFT JOIN voucher v ON v.id = $2
  LEFT JOIN voucher_batch b ON b.id = v.batch_id
  LEFT JOIN campaign c ON c.id = b.campaign_id
  LEFT JOIN idempotency_record r ON r.scope = $5 AND r.key = $6`;

const REDEEM_SQL = `SELECT redeem_voucher($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
  $17, $18, $19, $20, $21, $22, $23, $24) AS r`;

type RedeemOutcome =
  | { outcome: 'done'; body: RedemptionView }
  | { outcome: 'stored'; hash: string; status: number; body: RedemptionView }
  | { outcome: 'in_progress' }
  | { outcome: 'repeat'; redeemedAt: string }
  | { outcome: 'taken' };

/** An Idempotency-Key: whose (scope), the key, and the hash of the request it came with. */
interface IdempotencyRequest {
  scope: string;
  key: string;
  hash: string;
}

/** A scan that passed the store and code checks: the facts read and the store. */
interface Scan {
  row: ReadRow;
  ctx: StoreContext;
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
    const { row, ctx } = await this.scan(actor, input, 'redemption.preview');
    const outcome = evaluateRedemption(
      this.facts(row, ctx),
      input.orderAmountFen,
      this.clock.now(),
      this.config.businessTimeZone,
    );
    return {
      ok: outcome.failures.length === 0,
      voucherId: row.v_id!,
      batch: {
        id: row.v_batch_id,
        name: row.batch_name,
        faceValueFen: row.face_value_fen,
        thresholdFen: row.threshold_fen,
        usageWindows: row.usage_windows,
      },
      validUntil: row.v_valid_until.toISOString(),
      orderAmountFen: input.orderAmountFen,
      discountFen: outcome.discountFen,
      payableFen: outcome.payableFen,
      parts: outcome.parts,
      failures: outcome.failures,
    };
  }

  /**
   * Redeems a voucher in two round trips: one read of every fact (beside the forged-code guard's
   * Redis call), then redeem_voucher(), one statement that is its own transaction: the guarded
   * voucher update, the redemption and its funder parts, the funders' committed budget (added by a
   * database trigger at commit, where ck_funder_committed_within_budget refuses an overspent funder),
   * the audit entry, the outbox event and the stored idempotent answer all commit, or none. The
   * Idempotency-Key protocol is IdempotencyService's: a stored answer is replayed, a key in flight
   * answers IDEMPOTENCY_IN_PROGRESS, a refusal stores nothing.
   */
  async redeem(
    actor: Actor,
    input: RedeemInput,
    idempotencyKey: string,
  ): Promise<IdempotentResponse<RedemptionView>> {
    const key = {
      scope: `${actor.role}:${actor.id}`,
      key: IdempotencyService.checkKey(idempotencyKey),
      hash: IdempotencyService.hash({ op: 'redemption.create', ...input }),
    };
    try {
      const result = await this.redeemOnce(actor, input, key);
      if (!result.replayed) redemptionsTotal.inc();
      return result;
    } catch (e) {
      // The record's primary key is the final proof of one answer per key: answer with the first.
      if (isConstraintViolation(e, 'pk_idempotency_record')) {
        const stored = IdempotencyService.replay(
          await this.idempotency.stored<RedemptionView>(this.tx.dataSource.manager, key.scope, key.key),
          key.hash,
        );
        if (stored) return stored;
      }
      const refusal = isConstraintViolation(e, 'ck_funder_committed_within_budget')
        ? new RedemptionException('FUNDER_BUDGET_EXHAUSTED', "A funder's budget cannot cover this subsidy")
        : isConstraintViolation(e, 'uq_redemption_live_voucher')
          ? new RedemptionException('VOUCHER_ALREADY_REDEEMED', 'The voucher already has a live redemption')
          : isConstraintViolation(e, 'uq_redemption_live_order')
            ? // Another till redeemed a voucher for the same order meanwhile.
              new RedemptionException(
                'VOUCHERS_PER_ORDER_EXCEEDED',
                'This order already has a voucher: one voucher per order',
                { failures: [ruleFailure('VOUCHERS_PER_ORDER_EXCEEDED', { limit: 1 })] },
              )
            : e;
      if (refusal instanceof RedemptionException) redemptionRefusals.inc({ code: refusal.code });
      throw refusal;
    }
  }

  /** Writes audit entries collected during a transaction, after it ended. */
  async recordAll(entries: AuditEntry[]): Promise<void> {
    for (const entry of entries) await this.audit.record(entry);
  }

  private async redeemOnce(
    actor: Actor,
    input: RedeemInput,
    idempotency: IdempotencyRequest,
  ): Promise<IdempotentResponse<RedemptionView>> {
    const { hash } = idempotency;
    const scan = await this.scan(actor, input, 'redemption.create', idempotency);
    if ('replay' in scan) return scan.replay;
    const { row, ctx } = scan;
    const facts = this.facts(row, ctx);
    const now = this.clock.now();
    const tz = this.config.businessTimeZone;
    const refuse = (outcome: { failures: RuleFailure[] }): never => {
      const first = outcome.failures[0];
      throw new RedemptionException(first.code, first.message, { failures: outcome.failures });
    };
    const outcome = evaluateRedemption(facts, input.orderAmountFen, now, tz);
    if (outcome.failures.length > 0) refuse(outcome);

    const businessDay = businessDayOf(now, tz);
    const redeemedAt = now.toISOString();
    const voucherId = row.v_id!;
    const event: Omit<RedemptionCreatedPayload, 'redemptionId' | 'parts'> = {
      voucherId,
      batchId: row.v_batch_id,
      campaignId: row.campaign_id,
      merchantId: ctx.merchant.id,
      storeId: ctx.store.id,
      citizenId: row.v_citizen_id,
      orderAmountFen: input.orderAmountFen,
      discountFen: outcome.discountFen,
      redeemedAt,
      businessDay,
    };
    const base: Omit<RedemptionView, 'id' | 'parts'> = {
      voucherId,
      batchId: row.v_batch_id,
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
    };
    const [{ r }] = await pooledQuery<{ r: RedeemOutcome }>(this.tx.dataSource, 'jinli_redeem', REDEEM_SQL, [
      IdempotencyService.lockId(idempotency.scope, idempotency.key),
      idempotency.scope,
      idempotency.key,
      hash,
      voucherId,
      now,
      row.v_batch_id,
      row.campaign_id,
      ctx.merchant.id,
      ctx.store.id,
      actor.id,
      actor.role,
      row.v_citizen_id,
      input.orderAmountFen,
      outcome.discountFen,
      businessDay,
      input.orderRef ?? null,
      outcome.parts.map((p) => p.funderId),
      outcome.parts.map((p) => p.amountFen),
      OutboxTopic.RedemptionCreated,
      JSON.stringify(event),
      JSON.stringify(base),
      JSON.stringify({
        voucherId,
        storeId: ctx.store.id,
        orderAmountFen: input.orderAmountFen,
        discountFen: outcome.discountFen,
        parts: outcome.parts,
      }),
      this.repeatSince(),
    ]);
    switch (r.outcome) {
      case 'done':
        return { status: 201, body: { id: r.body.id, ...base, parts: r.body.parts }, replayed: false };
      case 'stored':
        return IdempotencyService.replay(
          { request_hash: r.hash, response_status: r.status, response_body: r.body },
          hash,
        )!;
      case 'in_progress':
        throw IdempotencyService.inProgress();
      case 'repeat':
        // Another voucher of this citizen was redeemed at this store since the facts were read.
        facts.repeat = { redeemedAt: new Date(r.redeemedAt), windowS: this.config.redemption.repeatWindowS };
        return refuse(evaluateRedemption(facts, input.orderAmountFen, now, tz));
      case 'taken': {
        // The voucher left 'claimed' since the facts were read: another till redeemed it, or the
        // expiry job or an operator got there first. Re-read it (a rare path) so the till is told which.
        const [current] = (await this.tx.dataSource.query(
          `SELECT status, valid_until AS "validUntil" FROM voucher WHERE id = $1`,
          [voucherId],
        )) as { status: VoucherStatus; validUntil: Date }[];
        if (current) {
          facts.voucher = { ...facts.voucher, status: current.status, validUntil: current.validUntil };
          const again = evaluateRedemption(facts, input.orderAmountFen, now, tz);
          if (again.failures.length > 0) refuse(again);
        }
        throw new RedemptionException(
          'VOUCHER_ALREADY_REDEEMED',
          'The voucher was redeemed or changed meanwhile',
          {
            voucherId,
          },
        );
      }
    }
  }

  /**
   * Reads the facts of one scan and passes it through the store and code checks, in the order a
   * till sees them: a stored answer for the Idempotency-Key (replayed before anything else: the code
   * in a retried request has rotated since), the store, the forged-code guard, the code, the voucher.
   * The guard's Redis call runs beside the read unless the code is forged (a forged code is counted,
   * and only once the store check passed).
   */
  private async scan(actor: Actor, input: RedeemInput, action: string): Promise<Scan>;
  private async scan(
    actor: Actor,
    input: RedeemInput,
    action: string,
    idempotency: IdempotencyRequest,
  ): Promise<Scan | { replay: IdempotentResponse<RedemptionView> }>;
  private async scan(
    actor: Actor,
    input: RedeemInput,
    action: string,
    idempotency?: IdempotencyRequest,
  ): Promise<Scan | { replay: IdempotentResponse<RedemptionView> }> {
    let code: VerifiedCode | RedemptionException;
    try {
      code = this.codes.verify(input.code, input.voucherId);
    } catch (e) {
      if (!(e instanceof RedemptionException)) throw e;
      code = e;
    }
    const forged = code instanceof RedemptionException && code.code === 'VOUCHER_CODE_FORGED';
    const [row, verdict] = await Promise.all([
      this.read(input, code instanceof RedemptionException ? null : code.voucherId, idempotency),
      forged ? undefined : this.forgedCodes.scan(actor, input.storeId, actor.merchantId ?? 0, false),
    ]);
    if (idempotency && row.request_hash != null) {
      return { replay: IdempotencyService.replay(row as StoredRow<RedemptionView>, idempotency.hash)! };
    }
    const ctx = await this.checkStore(actor, input.storeId, action, row);
    await this.checkCode(actor, ctx, input, code, verdict);
    if (row.v_id === null) {
      const voucherId = (code as VerifiedCode).voucherId;
      throw new RedemptionException('VOUCHER_NOT_FOUND', `Voucher ${voucherId} was not found`);
    }
    return { row, ctx };
  }

  /** The facts of one scan, in one round trip outside any transaction. */
  private async read(
    input: RedeemInput,
    voucherId: number | null,
    idempotency?: { scope: string; key: string },
  ): Promise<ReadRow> {
    const [row] = await pooledQuery<ReadRow>(this.tx.dataSource, 'jinli_redemption_read', READ_SQL, [
      input.storeId,
      voucherId,
      input.orderRef ?? null,
      this.repeatSince(),
      idempotency?.scope ?? null,
      idempotency?.key ?? null,
    ]);
    return row;
  }

  /** Where the repeat window of REDEMPTION_REPEAT_WINDOW_S starts now; null when it is off. */
  private repeatSince(): Date | null {
    const windowS = this.config.redemption.repeatWindowS;
    return windowS > 0 ? new Date(this.clock.nowMs() - windowS * 1000) : null;
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
    await this.cashierAtOwnStore(actor, storeId, action, audit);
    return ctx;
  }

  /** authorize() on a store row read with the scan's facts. */
  private async checkStore(
    actor: Actor,
    storeId: number,
    action: string,
    row: ReadRow,
  ): Promise<StoreContext> {
    const ctx = await this.access.checkStore(actor, storeId, action, row);
    await this.cashierAtOwnStore(actor, storeId, action);
    return ctx;
  }

  private async cashierAtOwnStore(
    actor: Actor,
    storeId: number,
    action: string,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<void> {
    if (actor.role !== Role.Cashier || actor.storeId === storeId) return;
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

  /**
   * Passes the scan through the forged-code guard (per cashier, store and merchant) and then its code.
   * A forged code is counted and audited; no other outcome counts anything.
   */
  private async checkCode(
    actor: Actor,
    ctx: StoreContext,
    input: RedeemInput,
    code: VerifiedCode | RedemptionException,
    verdict: ScanVerdict | undefined,
  ): Promise<void> {
    const forged = !verdict;
    await this.forgedCodes.enforce(
      actor,
      ctx.store.id,
      verdict ?? (await this.forgedCodes.scan(actor, ctx.store.id, ctx.merchant.id, true)),
    );
    if (!(code instanceof RedemptionException)) return;
    if (forged) {
      await this.audit.record({
        actor,
        action: 'redemption.code_refused',
        entityType: 'store',
        entityId: input.storeId,
        outcome: 'denied',
        details: { code: code.code, reason: (code.details as { reason?: string })?.reason ?? null },
      });
      this.log.warn(`forged voucher code from ${actor.role} ${actor.id} at store ${input.storeId}`);
    }
    throw code;
  }

  private facts(row: ReadRow, ctx: StoreContext): RedemptionFacts {
    const windowS = this.config.redemption.repeatWindowS;
    return {
      voucher: {
        id: row.v_id!,
        status: row.v_status,
        validFrom: row.v_valid_from,
        validUntil: row.v_valid_until,
      },
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
      orderTaken: row.order_taken,
      repeat: row.repeat_at ? { redeemedAt: row.repeat_at, windowS } : undefined,
    };
  }
}
