import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { LifecycleStatus, RefundPolicy, ValidityKind } from '@jinli/contracts';
import { Actor, AuditService, Clock, DomainEvents, Fen, TransactionRunner } from '@jinli/platform';
import {
  CampaignEntity,
  ClaimRoundEntity,
  MerchantEntity,
  UsageWindow,
  VoucherBatchEntity,
} from '../entities';
import { IssuingException } from '../issuing.exception';
import { BatchChanged } from '../issuing.events';
import { bumpVersion, LifecycleAction, nextStatus } from '../lifecycle';
import {
  BatchInput,
  checkAmounts,
  checkBudget,
  checkRounds,
  checkUsageWindows,
  checkValidity,
  checkVouchersPerOrder,
  MONEY_RULES,
  RoundInput,
  roundsCapacity,
  ValidityInput,
} from './batch-rules';

export interface RoundView {
  id: number;
  seq: number;
  opensAt: string;
  closesAt: string | null;
  quota: number;
  carriedIn: number;
  issuedCount: number;
}

export interface BatchView {
  id: number;
  campaignId: number;
  name: string;
  description: string;
  faceValueFen: Fen;
  thresholdFen: Fen;
  allowedCategories: string[];
  allowedDistricts: string[];
  merchantWhitelist: number[];
  validity: { kind: ValidityKind; from: string | null; until: string | null; days: number | null };
  usageWindows: UsageWindow[];
  quota: number;
  issuedCount: number;
  returnedCount: number;
  perCitizenLimit: number;
  vouchersPerOrder: number;
  requiresVerified: boolean;
  rollOverUnclaimed: boolean;
  recycleExpired: boolean;
  refundPolicy: RefundPolicy;
  status: LifecycleStatus;
  version: number;
  rounds: RoundView[];
}

export function batchView(b: VoucherBatchEntity, rounds: ClaimRoundEntity[]): BatchView {
  return {
    id: b.id,
    campaignId: b.campaignId,
    name: b.name,
    description: b.description,
    faceValueFen: b.faceValueFen,
    thresholdFen: b.thresholdFen,
    allowedCategories: b.allowedCategories,
    allowedDistricts: b.allowedDistricts,
    merchantWhitelist: b.merchantWhitelist,
    validity: {
      kind: b.validityKind,
      from: b.validFrom?.toISOString() ?? null,
      until: b.validUntil?.toISOString() ?? null,
      days: b.validDays,
    },
    usageWindows: b.usageWindows,
    quota: b.quota,
    issuedCount: b.issuedCount,
    returnedCount: b.returnedCount,
    perCitizenLimit: b.perCitizenLimit,
    vouchersPerOrder: b.vouchersPerOrder,
    requiresVerified: b.requiresVerified,
    rollOverUnclaimed: b.rollOverUnclaimed,
    recycleExpired: b.recycleExpired,
    refundPolicy: b.refundPolicy,
    status: b.status,
    version: b.version,
    rounds: [...rounds]
      .sort((x, y) => x.seq - y.seq)
      .map((r) => ({
        id: r.id,
        seq: r.seq,
        opensAt: r.opensAt.toISOString(),
        closesAt: r.closesAt?.toISOString() ?? null,
        quota: r.quota,
        carriedIn: r.carriedIn,
        issuedCount: r.issuedCount,
      })),
  };
}

function validityColumns(v: ValidityInput) {
  return v.kind === 'fixed'
    ? { validityKind: 'fixed' as const, validFrom: v.from, validUntil: v.until, validDays: null }
    : { validityKind: 'relative' as const, validFrom: null, validUntil: null, validDays: v.days };
}

function sameValidity(b: VoucherBatchEntity, v: ValidityInput): boolean {
  return v.kind === 'fixed'
    ? b.validityKind === 'fixed' &&
        b.validFrom?.getTime() === v.from.getTime() &&
        b.validUntil?.getTime() === v.until.getTime()
    : b.validityKind === 'relative' && b.validDays === v.days;
}

@Injectable()
export class BatchService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, campaignId: number, input: BatchInput): Promise<BatchView> {
    checkAmounts(input.faceValueFen, input.thresholdFen);
    checkValidity(input.validity);
    checkUsageWindows(input.usageWindows ?? []);
    checkVouchersPerOrder(input.vouchersPerOrder);
    const id = await this.tx.run(async (m) => {
      const campaign = await this.lockCampaign(m, campaignId);
      if (campaign.status === 'ended')
        throw new IssuingException('CAMPAIGN_NOT_EDITABLE', 'An ended campaign cannot get new batches');
      checkRounds(input.rounds, input.quota, campaign);
      checkBudget(
        campaign.budgetFen,
        await this.otherBatchesFen(m, campaignId),
        input.quota,
        input.faceValueFen,
      );
      await this.checkReferences(m, input);
      const repo = m.getRepository(VoucherBatchEntity);
      const saved = await repo.save(
        repo.create({
          campaignId,
          name: input.name.trim(),
          description: input.description ?? '',
          faceValueFen: input.faceValueFen,
          thresholdFen: input.thresholdFen,
          allowedCategories: input.allowedCategories ?? [],
          allowedDistricts: input.allowedDistricts ?? [],
          merchantWhitelist: input.merchantWhitelist ?? [],
          ...validityColumns(input.validity),
          usageWindows: input.usageWindows ?? [],
          quota: input.quota,
          perCitizenLimit: input.perCitizenLimit ?? 1,
          vouchersPerOrder: 1,
          requiresVerified: input.requiresVerified ?? false,
          rollOverUnclaimed: input.rollOverUnclaimed ?? true,
          recycleExpired: input.recycleExpired ?? false,
          refundPolicy: input.refundPolicy ?? 'restore_if_valid',
        }),
      );
      await this.insertRounds(m, saved.id, input.rounds, 1);
      await this.audit.record(
        {
          actor,
          action: 'batch.create',
          entityType: 'voucher_batch',
          entityId: saved.id,
          details: { campaignId, ...input },
        },
        m,
      );
      return saved.id;
    });
    return this.get(id);
  }

  async update(
    actor: Actor,
    id: number,
    patch: Partial<BatchInput> & { version?: number },
  ): Promise<BatchView> {
    checkVouchersPerOrder(patch.vouchersPerOrder);
    await this.tx.run(async (m) => {
      const { campaign, batch: b } = await this.lockBoth(m, id, patch.version);
      const lockedVersion = b.version;
      if (b.status === 'ended')
        throw new IssuingException('INVALID_STATUS_TRANSITION', 'An ended batch cannot be edited');
      const rounds = await m
        .getRepository(ClaimRoundEntity)
        .find({ where: { batchId: id }, order: { seq: 'ASC' } });

      if (b.issuedCount > 0) {
        const changed = MONEY_RULES.filter((rule) => {
          if (rule === 'validity') return patch.validity !== undefined && !sameValidity(b, patch.validity);
          return patch[rule] !== undefined && patch[rule] !== b[rule];
        });
        if (changed.length) {
          throw new IssuingException(
            'BATCH_MONEY_RULES_LOCKED',
            `${b.issuedCount} voucher(s) were already claimed; these rules can no longer change: ${changed.join(', ')}`,
            { fields: changed, issuedCount: b.issuedCount },
          );
        }
      }
      const face = patch.faceValueFen ?? b.faceValueFen;
      const threshold = patch.thresholdFen ?? b.thresholdFen;
      const quota = patch.quota ?? b.quota;
      checkAmounts(face, threshold);
      if (patch.validity) checkValidity(patch.validity);
      if (patch.usageWindows) checkUsageWindows(patch.usageWindows);
      if (quota < b.issuedCount - b.returnedCount) {
        throw new IssuingException(
          'BATCH_ROUNDS_OVER_QUOTA',
          `The quota cannot go below the ${b.issuedCount - b.returnedCount} vouchers already out`,
        );
      }
      checkBudget(campaign.budgetFen, await this.otherBatchesFen(m, b.campaignId, id), quota, face);
      await this.checkReferences(m, patch);

      if (patch.rounds) {
        const now = this.clock.nowMs();
        if (b.issuedCount > 0 || rounds.some((r) => r.opensAt.getTime() <= now)) {
          throw new IssuingException(
            'BATCH_ROUNDS_INVALID',
            'Rounds cannot be rewritten once one has opened or vouchers were claimed; add a new round instead',
          );
        }
        checkRounds(patch.rounds, quota, campaign);
        await m.getRepository(ClaimRoundEntity).delete({ batchId: id });
        await this.insertRounds(m, id, patch.rounds, 1);
      } else {
        checkRounds(
          rounds.map((r) => ({ opensAt: r.opensAt, closesAt: r.closesAt, quota: r.quota })),
          roundsCapacity(quota, b.returnedCount, rounds),
          campaign,
        );
      }

      Object.assign(b, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        faceValueFen: face,
        thresholdFen: threshold,
        quota,
        ...(patch.allowedCategories !== undefined ? { allowedCategories: patch.allowedCategories } : {}),
        ...(patch.allowedDistricts !== undefined ? { allowedDistricts: patch.allowedDistricts } : {}),
        ...(patch.merchantWhitelist !== undefined ? { merchantWhitelist: patch.merchantWhitelist } : {}),
        ...(patch.validity !== undefined ? validityColumns(patch.validity) : {}),
        ...(patch.usageWindows !== undefined ? { usageWindows: patch.usageWindows } : {}),
        ...(patch.perCitizenLimit !== undefined ? { perCitizenLimit: patch.perCitizenLimit } : {}),
        ...(patch.requiresVerified !== undefined ? { requiresVerified: patch.requiresVerified } : {}),
        ...(patch.rollOverUnclaimed !== undefined ? { rollOverUnclaimed: patch.rollOverUnclaimed } : {}),
        ...(patch.recycleExpired !== undefined ? { recycleExpired: patch.recycleExpired } : {}),
        ...(patch.refundPolicy !== undefined ? { refundPolicy: patch.refundPolicy } : {}),
      });
      delete (b as Partial<VoucherBatchEntity>).rounds;
      await m.getRepository(VoucherBatchEntity).save(b);
      await bumpVersion(m, 'voucher_batch', id, lockedVersion);
      await this.audit.record(
        { actor, action: 'batch.update', entityType: 'voucher_batch', entityId: id, details: { patch } },
        m,
      );
    });
    await this.events.emit(BatchChanged, { batchId: id });
    return this.get(id);
  }

  /** Appends a round after the existing ones; allowed while the batch is live. */
  async addRound(actor: Actor, id: number, round: RoundInput): Promise<BatchView> {
    await this.tx.run(async (m) => {
      const { campaign, batch: b } = await this.lockBoth(m, id);
      if (b.status === 'ended')
        throw new IssuingException('INVALID_STATUS_TRANSITION', 'An ended batch cannot get new rounds');
      const rounds = await m
        .getRepository(ClaimRoundEntity)
        .find({ where: { batchId: id }, order: { seq: 'ASC' } });
      const all = [
        ...rounds.map((r) => ({ opensAt: r.opensAt, closesAt: r.closesAt, quota: r.quota })),
        round,
      ];
      checkRounds(all, roundsCapacity(b.quota, b.returnedCount, rounds), campaign);
      await this.insertRounds(m, id, [round], (rounds.at(-1)?.seq ?? 0) + 1);
      await bumpVersion(m, 'voucher_batch', id, b.version);
      await this.audit.record(
        {
          actor,
          action: 'batch.add_round',
          entityType: 'voucher_batch',
          entityId: id,
          details: { ...round },
        },
        m,
      );
    });
    await this.events.emit(BatchChanged, { batchId: id });
    return this.get(id);
  }

  async transition(actor: Actor, id: number, action: LifecycleAction): Promise<BatchView> {
    await this.tx.run(async (m) => {
      const { campaign, batch: b } = await this.lockBoth(m, id);
      const from = b.status;
      b.status = nextStatus('batch', b.status, action);
      if (action === 'publish' || action === 'resume') {
        if (campaign.status !== 'published') {
          throw new IssuingException(
            'CAMPAIGN_NOT_PUBLISHED',
            `Publish campaign ${campaign.name} before its batches`,
          );
        }
      }
      if (action === 'publish') b.publishedAt = this.clock.now();
      delete (b as Partial<VoucherBatchEntity>).rounds;
      await m.getRepository(VoucherBatchEntity).save(b);
      await this.audit.record(
        {
          actor,
          action: `batch.${action}`,
          entityType: 'voucher_batch',
          entityId: id,
          details: { from, to: b.status },
        },
        m,
      );
    });
    await this.events.emit(BatchChanged, { batchId: id });
    return this.get(id);
  }

  async get(id: number): Promise<BatchView> {
    const b = await this.tx.dataSource.getRepository(VoucherBatchEntity).findOneBy({ id });
    if (!b) throw new IssuingException('BATCH_NOT_FOUND', `Batch ${id} was not found`);
    const rounds = await this.tx.dataSource.getRepository(ClaimRoundEntity).findBy({ batchId: id });
    return batchView(b, rounds);
  }

  async listForCampaign(campaignId: number): Promise<BatchView[]> {
    const ds = this.tx.dataSource;
    const batches = await ds
      .getRepository(VoucherBatchEntity)
      .find({ where: { campaignId }, order: { id: 'ASC' } });
    const rounds = batches.length
      ? await ds.getRepository(ClaimRoundEntity).findBy({ batchId: In(batches.map((b) => b.id)) })
      : [];
    return batches.map((b) =>
      batchView(
        b,
        rounds.filter((r) => r.batchId === b.id),
      ),
    );
  }

  private async insertRounds(
    m: EntityManager,
    batchId: number,
    rounds: RoundInput[],
    firstSeq: number,
  ): Promise<void> {
    await m.getRepository(ClaimRoundEntity).insert(
      rounds.map((r, i) => ({
        batchId,
        seq: firstSeq + i,
        opensAt: r.opensAt,
        closesAt: r.closesAt ?? null,
        quota: r.quota,
      })),
    );
  }

  private async checkReferences(m: EntityManager, input: Partial<BatchInput>): Promise<void> {
    const unknown = async (table: 'category' | 'district', codes: string[] | undefined) => {
      if (!codes?.length) return [];
      const rows = (await m.query(`SELECT code FROM ${table} WHERE code = ANY($1)`, [codes])) as {
        code: string;
      }[];
      return codes.filter((c) => !rows.some((r) => r.code === c));
    };
    const badCategories = await unknown('category', input.allowedCategories);
    const badDistricts = await unknown('district', input.allowedDistricts);
    let badMerchants: number[] = [];
    if (input.merchantWhitelist?.length) {
      const found = await m
        .getRepository(MerchantEntity)
        .find({ select: { id: true }, where: { id: In(input.merchantWhitelist) } });
      badMerchants = input.merchantWhitelist.filter((id) => !found.some((f) => f.id === id));
    }
    if (badCategories.length || badDistricts.length || badMerchants.length) {
      throw new IssuingException('BATCH_REFERENCE_UNKNOWN', 'Unknown categories, districts or merchants', {
        categories: badCategories,
        districts: badDistricts,
        merchants: badMerchants,
      });
    }
  }

  private async otherBatchesFen(m: EntityManager, campaignId: number, excludeBatchId?: number): Promise<Fen> {
    const [row] = (await m.query(
      `SELECT COALESCE(sum(quota::bigint * face_value_fen), 0)::bigint AS v FROM voucher_batch
        WHERE campaign_id = $1 AND ($2::int IS NULL OR id <> $2)`,
      [campaignId, excludeBatchId ?? null],
    )) as { v: number }[];
    return row.v;
  }

  private async lockCampaign(m: EntityManager, id: number): Promise<CampaignEntity> {
    const c = await m
      .getRepository(CampaignEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!c) throw new IssuingException('CAMPAIGN_NOT_FOUND', `Campaign ${id} was not found`);
    return c;
  }

  /** Locks the campaign, then the batch: the same order as campaign-wide changes, so no deadlock. */
  private async lockBoth(m: EntityManager, id: number, version?: number) {
    const found = await m
      .getRepository(VoucherBatchEntity)
      .findOne({ select: { id: true, campaignId: true }, where: { id } });
    if (!found) throw new IssuingException('BATCH_NOT_FOUND', `Batch ${id} was not found`);
    const campaign = await this.lockCampaign(m, found.campaignId);
    return { campaign, batch: await this.lockBatch(m, id, version) };
  }

  private async lockBatch(m: EntityManager, id: number, version?: number): Promise<VoucherBatchEntity> {
    const b = await m
      .getRepository(VoucherBatchEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!b) throw new IssuingException('BATCH_NOT_FOUND', `Batch ${id} was not found`);
    if (version !== undefined && version !== b.version) {
      throw new IssuingException(
        'STALE_VERSION',
        'The batch was changed by someone else; reload it and try again',
        {
          currentVersion: b.version,
        },
      );
    }
    return b;
  }
}
