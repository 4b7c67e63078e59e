import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { LifecycleStatus } from '@jinli/contracts';
import { Actor, AuditService, Clock, DomainEvents, Fen, TransactionRunner } from '@jinli/platform';
import { CampaignEntity, CampaignFunderEntity, FunderEntity, VoucherBatchEntity } from '../entities';
import { IssuingException } from '../issuing.exception';
import { BatchChanged } from '../issuing.events';
import { bumpVersion, LifecycleAction, nextStatus } from '../lifecycle';
import { allocatedFen } from '../funders/funder.service';

export interface FunderShareInput {
  funderId: number;
  /** Basis points: 7000 = 70%. */
  shareBp: number;
}

export interface CampaignInput {
  name: string;
  description?: string;
  startsAt: Date;
  endsAt: Date;
  budgetFen: Fen;
  funders: FunderShareInput[];
}

export interface CampaignView {
  id: number;
  name: string;
  description: string;
  startsAt: string;
  endsAt: string;
  budgetFen: Fen;
  /** Sum of quota x face value over the campaign's batches. */
  batchesFaceValueFen: Fen;
  status: LifecycleStatus;
  version: number;
  funders: { funderId: number; name: string; shareBp: number }[];
}

export const BASIS_POINTS = 10_000;

export function checkShares(shares: FunderShareInput[]): void {
  const ids = new Set(shares.map((s) => s.funderId));
  if (shares.length === 0)
    throw new IssuingException('CAMPAIGN_SHARES_INVALID', 'A campaign needs at least one funder');
  if (ids.size !== shares.length)
    throw new IssuingException('CAMPAIGN_SHARES_INVALID', 'A funder is listed twice');
  const total = shares.reduce((s, f) => s + f.shareBp, 0);
  if (total !== BASIS_POINTS) {
    throw new IssuingException(
      'CAMPAIGN_SHARES_INVALID',
      `Funder shares must sum to 100% (10000 basis points); they sum to ${total / 100}%`,
      { totalBp: total },
    );
  }
}

export function checkDates(startsAt: Date, endsAt: Date): void {
  if (!(endsAt.getTime() > startsAt.getTime())) {
    throw new IssuingException('CAMPAIGN_DATES_INVALID', 'The campaign must end after it starts', {
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
    });
  }
}

/**
 * Locks funders FOR UPDATE in id order. Every campaign path takes its funders this way and only
 * this way: a share lock taken first and upgraded later for the budget check let two publishes on one
 * funder each hold the share lock and wait for the other's (deadlock, 40P01), and locking in the
 * order shares happen to be listed let two campaigns wait on each other's first funder.
 */
async function lockFunders(m: EntityManager, ids: number[]): Promise<FunderEntity[]> {
  if (!ids.length) return [];
  return m.getRepository(FunderEntity).find({
    where: { id: In(ids) },
    order: { id: 'ASC' },
    lock: { mode: 'pessimistic_write' },
  });
}

@Injectable()
export class CampaignService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: CampaignInput): Promise<CampaignView> {
    checkDates(input.startsAt, input.endsAt);
    checkShares(input.funders);
    return this.tx.run(async (m) => {
      await this.assertFunders(m, input.funders);
      const repo = m.getRepository(CampaignEntity);
      const saved = await repo.save(
        repo.create({
          name: input.name.trim(),
          description: input.description ?? '',
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          budgetFen: input.budgetFen,
        }),
      );
      await m
        .getRepository(CampaignFunderEntity)
        .insert(input.funders.map((f) => ({ campaignId: saved.id, ...f })));
      await this.audit.record(
        {
          actor,
          action: 'campaign.create',
          entityType: 'campaign',
          entityId: saved.id,
          details: { ...input },
        },
        m,
      );
      return this.view(m, saved.id);
    });
  }

  async update(
    actor: Actor,
    id: number,
    patch: Partial<CampaignInput> & { version?: number },
  ): Promise<CampaignView> {
    const batchIds = await this.tx.run(async (m) => {
      const c = await this.lock(m, id, patch.version);
      const lockedVersion = c.version;
      if (c.status === 'ended')
        throw new IssuingException('CAMPAIGN_NOT_EDITABLE', 'An ended campaign cannot be edited');
      const startsAt = patch.startsAt ?? c.startsAt;
      const endsAt = patch.endsAt ?? c.endsAt;
      checkDates(startsAt, endsAt);
      const moneyChange = patch.budgetFen !== undefined || patch.funders !== undefined;
      const claimed = await this.claimedBatches(m, id);
      if (moneyChange && claimed.length) {
        throw new IssuingException(
          'BATCH_MONEY_RULES_LOCKED',
          'The budget and funder shares cannot change once vouchers of the campaign have been claimed',
          { claimedBatchIds: claimed },
        );
      }
      if (patch.funders) {
        checkShares(patch.funders);
        // A live campaign may only take on funders that are live themselves, as at publish.
        await this.assertFunders(m, patch.funders, c.status !== 'draft');
      }
      if (patch.budgetFen !== undefined) {
        const used = await this.batchesFaceValue(m, id);
        if (patch.budgetFen < used) {
          throw new IssuingException(
            'BATCH_OVER_CAMPAIGN_BUDGET',
            `The batches already need ${used} fen; the budget cannot be lower`,
            {
              batchesFaceValueFen: used,
            },
          );
        }
      }
      if (patch.startsAt || patch.endsAt) {
        const [outside] = (await m.query(
          `SELECT count(*)::int AS n FROM claim_round r JOIN voucher_batch b ON b.id = r.batch_id
            WHERE b.campaign_id = $1 AND (r.opens_at < $2 OR r.opens_at >= $3 OR r.closes_at > $3)`,
          [id, startsAt, endsAt],
        )) as { n: number }[];
        if (outside.n > 0) {
          throw new IssuingException(
            'BATCH_ROUND_OUTSIDE_CAMPAIGN',
            `${outside.n} claim round(s) would fall outside the new dates`,
          );
        }
      }
      Object.assign(c, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        startsAt,
        endsAt,
        ...(patch.budgetFen !== undefined ? { budgetFen: patch.budgetFen } : {}),
      });
      await m.getRepository(CampaignEntity).save(c);
      if (patch.funders) {
        await m.getRepository(CampaignFunderEntity).delete({ campaignId: id });
        await m
          .getRepository(CampaignFunderEntity)
          .insert(patch.funders.map((f) => ({ campaignId: id, ...f })));
      }
      if (c.status !== 'draft') await this.assertFunderBudgets(m, id);
      await bumpVersion(m, 'campaign', id, lockedVersion);
      await this.audit.record(
        { actor, action: 'campaign.update', entityType: 'campaign', entityId: id, details: { patch } },
        m,
      );
      return this.batchIds(m, id);
    });
    await this.notify(batchIds);
    return this.get(id);
  }

  async transition(actor: Actor, id: number, action: LifecycleAction): Promise<CampaignView> {
    const batchIds = await this.tx.run(async (m) => {
      const c = await this.lock(m, id);
      const from = c.status;
      c.status = nextStatus('campaign', c.status, action);
      if (action === 'publish') {
        const shares = await m.getRepository(CampaignFunderEntity).findBy({ campaignId: id });
        checkShares(shares);
        // Locked for the budget check below, and so a funder cannot be paused or ended meanwhile.
        const inactive = await lockFunders(
          m,
          shares.map((s) => s.funderId),
        );
        const notPublished = inactive.filter((f) => f.status !== 'published');
        if (notPublished.length) {
          throw new IssuingException(
            'FUNDER_NOT_ACTIVE',
            `Publish the funders first: ${notPublished.map((f) => f.name).join(', ')}`,
            {
              funderIds: notPublished.map((f) => f.id),
            },
          );
        }
      }
      if (action === 'publish') c.publishedAt = this.clock.now();
      await m.getRepository(CampaignEntity).save(c);
      if (action === 'publish') await this.assertFunderBudgets(m, id);
      if (action === 'end') {
        await m.query(
          `UPDATE voucher_batch SET status = 'ended', version = version + 1, updated_at = now()
            WHERE campaign_id = $1 AND status <> 'ended'`,
          [id],
        );
      }
      await this.audit.record(
        {
          actor,
          action: `campaign.${action}`,
          entityType: 'campaign',
          entityId: id,
          details: { from, to: c.status },
        },
        m,
      );
      return this.batchIds(m, id);
    });
    await this.notify(batchIds);
    return this.get(id);
  }

  async list(status?: LifecycleStatus): Promise<CampaignView[]> {
    const m = this.tx.dataSource.manager;
    const rows = await m
      .getRepository(CampaignEntity)
      .find({ where: status ? { status } : {}, order: { startsAt: 'DESC', id: 'DESC' } });
    // One after another: queries on one connection must not overlap (pg refuses that from v9).
    const views: CampaignView[] = [];
    for (const c of rows) views.push(await this.view(m, c.id));
    return views;
  }

  async get(id: number): Promise<CampaignView> {
    return this.tx.run((m) => this.view(m, id));
  }

  private async view(m: EntityManager, id: number): Promise<CampaignView> {
    const c = await m
      .getRepository(CampaignEntity)
      .findOne({ where: { id }, relations: { funders: { funder: true } } });
    if (!c) throw new IssuingException('CAMPAIGN_NOT_FOUND', `Campaign ${id} was not found`);
    return {
      id: c.id,
      name: c.name,
      description: c.description,
      startsAt: c.startsAt.toISOString(),
      endsAt: c.endsAt.toISOString(),
      budgetFen: c.budgetFen,
      batchesFaceValueFen: await this.batchesFaceValue(m, id),
      status: c.status,
      version: c.version,
      funders: c.funders
        .sort((a, b) => b.shareBp - a.shareBp || a.funderId - b.funderId)
        .map((f) => ({ funderId: f.funderId, name: f.funder.name, shareBp: f.shareBp })),
    };
  }

  private async lock(m: EntityManager, id: number, version?: number): Promise<CampaignEntity> {
    const c = await m
      .getRepository(CampaignEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!c) throw new IssuingException('CAMPAIGN_NOT_FOUND', `Campaign ${id} was not found`);
    if (version !== undefined && version !== c.version) {
      throw new IssuingException(
        'STALE_VERSION',
        'The campaign was changed by someone else; reload it and try again',
        {
          currentVersion: c.version,
        },
      );
    }
    return c;
  }

  private async assertFunders(
    m: EntityManager,
    shares: FunderShareInput[],
    requirePublished = false,
  ): Promise<void> {
    // Locked: a funder cannot be paused or ended while a campaign takes it on (FunderService), and
    // a live campaign's budget check needs it anyway.
    const funders = await lockFunders(
      m,
      shares.map((s) => s.funderId),
    );
    const missing = shares.filter((s) => !funders.some((f) => f.id === s.funderId)).map((s) => s.funderId);
    if (missing.length)
      throw new IssuingException('FUNDER_NOT_FOUND', `Unknown funder(s): ${missing.join(', ')}`, {
        funderIds: missing,
      });
    const ended = funders.filter((f) => f.status === 'ended');
    if (ended.length) {
      throw new IssuingException(
        'FUNDER_NOT_ACTIVE',
        `Ended funder(s) cannot fund a campaign: ${ended.map((f) => f.name).join(', ')}`,
      );
    }
    const notPublished = requirePublished ? funders.filter((f) => f.status !== 'published') : [];
    if (notPublished.length) {
      throw new IssuingException(
        'FUNDER_NOT_ACTIVE',
        `Publish the funders first: ${notPublished.map((f) => f.name).join(', ')}`,
        { funderIds: notPublished.map((f) => f.id) },
      );
    }
  }

  /** Each funder's allocations, this campaign included, stay within its budget. */
  private async assertFunderBudgets(m: EntityManager, campaignId: number): Promise<void> {
    const shares = await m.getRepository(CampaignFunderEntity).findBy({ campaignId });
    for (const funder of await lockFunders(
      m,
      shares.map((s) => s.funderId),
    )) {
      const allocated = await allocatedFen(m, funder.id);
      if (allocated > funder.budgetFen) {
        throw new IssuingException(
          'FUNDER_BUDGET_EXCEEDED',
          `${funder.name} would fund ${allocated} fen across its campaigns, above its budget of ${funder.budgetFen} fen`,
          { funderId: funder.id, allocatedFen: allocated, budgetFen: funder.budgetFen },
        );
      }
    }
  }

  private async batchesFaceValue(m: EntityManager, campaignId: number): Promise<Fen> {
    const [row] = (await m.query(
      `SELECT COALESCE(sum(quota::bigint * face_value_fen), 0)::bigint AS v FROM voucher_batch WHERE campaign_id = $1`,
      [campaignId],
    )) as { v: number }[];
    return row.v;
  }

  private async claimedBatches(m: EntityManager, campaignId: number): Promise<number[]> {
    const rows = await m
      .getRepository(VoucherBatchEntity)
      .find({ select: { id: true, issuedCount: true }, where: { campaignId } });
    return rows.filter((b) => b.issuedCount > 0).map((b) => b.id);
  }

  private async batchIds(m: EntityManager, campaignId: number): Promise<number[]> {
    const rows = await m
      .getRepository(VoucherBatchEntity)
      .find({ select: { id: true }, where: { campaignId } });
    return rows.map((r) => r.id);
  }

  private async notify(batchIds: number[]): Promise<void> {
    for (const batchId of batchIds) await this.events.emit(BatchChanged, { batchId });
  }
}
