import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { FunderKind, LifecycleStatus } from '@jinli/contracts';
import { Actor, AuditService, Fen, isConstraintViolation, TransactionRunner } from '@jinli/platform';
import { FunderEntity } from '../entities';
import { IssuingException } from '../issuing.exception';
import { LifecycleAction, nextStatus } from '../lifecycle';

export interface FunderInput {
  name: string;
  kind: FunderKind;
  district?: string | null;
  budgetFen: Fen;
}

export interface FunderView {
  id: number;
  name: string;
  kind: FunderKind;
  district: string | null;
  budgetFen: Fen;
  /** The funder's shares of the budgets of its published campaigns (live, paused or ended since). */
  allocatedFen: Fen;
  /** Subsidy owed by redemptions so far, net of reversals. */
  committedFen: Fen;
  status: LifecycleStatus;
}

/**
 * A funder's allocation: its share of the budget of each campaign that was published (publish is
 * where budgets are checked; a draft ended straight away never allocated anything), rounded up so
 * that shares never under-count what a funder may have to pay. Published or paused counts even
 * without `published_at` (a campaign published in SQL by a script).
 */
export async function allocatedFen(
  manager: EntityManager,
  funderId: number,
  excludeCampaignId?: number,
): Promise<Fen> {
  const [row] = (await manager.query(
    `SELECT COALESCE(sum(ceil(c.budget_fen::numeric * cf.share_bp / 10000)), 0)::bigint AS allocated
       FROM campaign_funder cf JOIN campaign c ON c.id = cf.campaign_id
      WHERE cf.funder_id = $1 AND (c.status IN ('published', 'paused') OR c.published_at IS NOT NULL)
        AND ($2::int IS NULL OR c.id <> $2)`,
    [funderId, excludeCampaignId ?? null],
  )) as { allocated: number }[];
  return row.allocated;
}

@Injectable()
export class FunderService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: FunderInput): Promise<FunderView> {
    return this.tx.run(async (m) => {
      await this.assertDistrict(m, input.district);
      let saved: FunderEntity;
      try {
        saved = await m.getRepository(FunderEntity).save(
          m.getRepository(FunderEntity).create({
            name: input.name.trim(),
            kind: input.kind,
            district: input.district ?? null,
            budgetFen: input.budgetFen,
          }),
        );
      } catch (e) {
        if (isConstraintViolation(e, 'uq_funder_name')) {
          throw new IssuingException('FUNDER_NAME_TAKEN', `A funder named ${input.name} already exists`);
        }
        throw e;
      }
      await this.audit.record(
        { actor, action: 'funder.create', entityType: 'funder', entityId: saved.id, details: { ...input } },
        m,
      );
      return this.view(m, saved);
    });
  }

  async update(actor: Actor, id: number, patch: Partial<FunderInput>): Promise<FunderView> {
    return this.tx.run(async (m) => {
      const funder = await this.lock(m, id);
      if (funder.status === 'ended')
        throw new IssuingException('INVALID_STATUS_TRANSITION', 'An ended funder cannot be edited');
      if (patch.district !== undefined) await this.assertDistrict(m, patch.district);
      if (patch.budgetFen !== undefined) {
        const allocated = await allocatedFen(m, id);
        const floor = Math.max(allocated, funder.committedFen);
        if (patch.budgetFen < floor) {
          throw new IssuingException(
            'FUNDER_BUDGET_BELOW_ALLOCATED',
            `The budget cannot go below the ${floor} fen already allocated to campaigns or committed to redemptions`,
            { allocatedFen: allocated, committedFen: funder.committedFen },
          );
        }
      }
      const before = {
        name: funder.name,
        kind: funder.kind,
        district: funder.district,
        budgetFen: funder.budgetFen,
      };
      Object.assign(funder, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.kind !== undefined ? { kind: patch.kind } : {}),
        ...(patch.district !== undefined ? { district: patch.district } : {}),
        ...(patch.budgetFen !== undefined ? { budgetFen: patch.budgetFen } : {}),
      });
      try {
        await m.getRepository(FunderEntity).save(funder);
      } catch (e) {
        if (isConstraintViolation(e, 'uq_funder_name'))
          throw new IssuingException('FUNDER_NAME_TAKEN', `A funder named ${patch.name} already exists`);
        throw e;
      }
      await this.audit.record(
        { actor, action: 'funder.update', entityType: 'funder', entityId: id, details: { before, patch } },
        m,
      );
      return this.view(m, funder);
    });
  }

  async transition(actor: Actor, id: number, action: LifecycleAction): Promise<FunderView> {
    return this.tx.run(async (m) => {
      const funder = await this.lock(m, id);
      const from = funder.status;
      funder.status = nextStatus('funder', funder.status, action);
      if (action === 'pause' || action === 'end') await this.assertNotInUse(m, funder, action);
      await m.getRepository(FunderEntity).save(funder);
      await this.audit.record(
        {
          actor,
          action: `funder.${action}`,
          entityType: 'funder',
          entityId: id,
          details: { from, to: funder.status },
        },
        m,
      );
      return this.view(m, funder);
    });
  }

  async list(): Promise<FunderView[]> {
    const m = this.tx.dataSource.manager;
    const funders = await m.getRepository(FunderEntity).find({ order: { id: 'ASC' } });
    // One after another: queries on one connection must not overlap (pg refuses that from v9).
    const views: FunderView[] = [];
    for (const f of funders) views.push(await this.view(m, f));
    return views;
  }

  async get(id: number): Promise<FunderView> {
    return this.tx.run(async (m) => {
      const f = await m.getRepository(FunderEntity).findOneBy({ id });
      if (!f) throw new IssuingException('FUNDER_NOT_FOUND', `Funder ${id} was not found`);
      return this.view(m, f);
    });
  }

  private async lock(m: EntityManager, id: number): Promise<FunderEntity> {
    const f = await m
      .getRepository(FunderEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!f) throw new IssuingException('FUNDER_NOT_FOUND', `Funder ${id} was not found`);
    return f;
  }

  /**
   * A funder that a campaign not yet ended counts on keeps paying: end (or remove it from) those
   * campaigns first. The funder row is locked, and campaigns lock their funders too (FOR UPDATE),
   * so a campaign cannot pick the funder up meanwhile.
   */
  private async assertNotInUse(
    m: EntityManager,
    funder: FunderEntity,
    action: LifecycleAction,
  ): Promise<void> {
    const campaigns = (await m.query(
      `SELECT c.id, c.name, c.status FROM campaign_funder cf JOIN campaign c ON c.id = cf.campaign_id
        WHERE cf.funder_id = $1 AND c.status <> 'ended' ORDER BY c.id`,
      [funder.id],
    )) as { id: number; name: string; status: string }[];
    if (campaigns.length) {
      throw new IssuingException(
        'FUNDER_IN_USE',
        `Cannot ${action} funder ${funder.name}: campaigns not yet ended still count on it (${campaigns
          .map((c) => c.name)
          .join(', ')}); end those campaigns or take the funder out of them first`,
        { campaigns: campaigns.map((c) => ({ id: c.id, name: c.name, status: c.status })) },
      );
    }
  }

  private async assertDistrict(m: EntityManager, district: string | null | undefined): Promise<void> {
    if (!district) return;
    const rows = (await m.query('SELECT 1 FROM district WHERE code = $1', [district])) as unknown[];
    if (!rows.length)
      throw new IssuingException('BATCH_REFERENCE_UNKNOWN', `Unknown district ${district}`, { district });
  }

  private async view(m: EntityManager, f: FunderEntity): Promise<FunderView> {
    return {
      id: f.id,
      name: f.name,
      kind: f.kind,
      district: f.district,
      budgetFen: f.budgetFen,
      allocatedFen: await allocatedFen(m, f.id),
      committedFen: f.committedFen,
      status: f.status,
    };
  }
}
