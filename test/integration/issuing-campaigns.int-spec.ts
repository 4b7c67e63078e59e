import { BatchService, CampaignService, FunderService } from '@jinli/issuing';
import {
  DAY,
  expectRefusedUnchanged,
  Factories,
  HOUR,
  insertVoucher,
  refusal,
  TestApi,
  uniq,
} from '@jinli/testing';

describe('issuing: funders and campaigns (real PostgreSQL)', () => {
  let api: TestApi;
  let f: Factories;
  let funders: FunderService;
  let campaigns: CampaignService;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T10:00:00+08:00' });
    f = await new Factories(api).init();
    funders = api.get(FunderService);
    campaigns = api.get(CampaignService);
  });
  afterAll(() => api.close());

  const now = () => api.clock.nowMs();
  const campaignInput = (funderShares: { funderId: number; shareBp: number }[], budgetFen = 1_000_000) => ({
    name: uniq('campaign'),
    startsAt: new Date(now() - DAY),
    endsAt: new Date(now() + 30 * DAY),
    budgetFen,
    funders: funderShares,
  });

  describe('funders', () => {
    it('walks publish, pause, resume and end, and refuses the transitions that make no sense', async () => {
      const funder = await f.funder({ publish: false });
      const ds = api.dataSource;
      await expectRefusedUnchanged(
        ds,
        () => funders.transition(f.operator, funder.id, 'pause'),
        'INVALID_STATUS_TRANSITION',
      );
      await expectRefusedUnchanged(
        ds,
        () => funders.transition(f.operator, funder.id, 'resume'),
        'INVALID_STATUS_TRANSITION',
      );
      expect((await funders.transition(f.operator, funder.id, 'publish')).status).toBe('published');
      await expectRefusedUnchanged(
        ds,
        () => funders.transition(f.operator, funder.id, 'publish'),
        'INVALID_STATUS_TRANSITION',
      );
      expect((await funders.transition(f.operator, funder.id, 'pause')).status).toBe('paused');
      expect((await funders.transition(f.operator, funder.id, 'resume')).status).toBe('published');
      expect((await funders.transition(f.operator, funder.id, 'end')).status).toBe('ended');
      for (const action of ['publish', 'pause', 'resume', 'end'] as const) {
        const e = await expectRefusedUnchanged<{ message: string; details: unknown }>(
          ds,
          () => funders.transition(f.operator, funder.id, action),
          'INVALID_STATUS_TRANSITION',
        );
        expect(e.message).toBe(`Cannot ${action} a ended funder`);
      }
      await expectRefusedUnchanged(
        ds,
        () => funders.update(f.operator, funder.id, { budgetFen: 1 }),
        'INVALID_STATUS_TRANSITION',
      );
      const audit = (await ds.query(
        `SELECT action FROM audit_log WHERE entity_type = 'funder' AND entity_id = $1 ORDER BY id`,
        [String(funder.id)],
      )) as { action: string }[];
      expect(audit.map((a) => a.action)).toEqual([
        'funder.create',
        'funder.publish',
        'funder.pause',
        'funder.resume',
        'funder.end',
      ]);
    });

    it('refuses to pause or end a funder that a campaign not yet ended counts on (FUNDER_IN_USE)', async () => {
      const ds = api.dataSource;
      const funder = await f.funder();
      const other = await f.funder();
      const shares = [
        { funderId: funder.id, shareBp: 7000 },
        { funderId: other.id, shareBp: 3000 },
      ];
      // A draft campaign counts on it too: publishing it later would need the funder live.
      const draft = await campaigns.create(f.operator, campaignInput(shares));
      for (const action of ['pause', 'end'] as const) {
        const e = await expectRefusedUnchanged<{ message: string; details: unknown }>(
          ds,
          () => funders.transition(f.operator, funder.id, action),
          'FUNDER_IN_USE',
        );
        expect(e.details).toEqual({ campaigns: [{ id: draft.id, name: draft.name, status: 'draft' }] });
      }
      await campaigns.transition(f.operator, draft.id, 'publish');
      await expectRefusedUnchanged(
        ds,
        () => funders.transition(f.operator, funder.id, 'pause'),
        'FUNDER_IN_USE',
      );
      await campaigns.transition(f.operator, draft.id, 'pause');
      await expectRefusedUnchanged(
        ds,
        () => funders.transition(f.operator, funder.id, 'end'),
        'FUNDER_IN_USE',
      );
      // Once every campaign using it has ended, the funder can stop.
      await campaigns.transition(f.operator, draft.id, 'end');
      expect((await funders.transition(f.operator, funder.id, 'pause')).status).toBe('paused');
      expect((await funders.transition(f.operator, funder.id, 'end')).status).toBe('ended');
    });

    it('refuses FUNDER_IN_USE over HTTP with 409', async () => {
      const c = await f.campaign();
      const [{ funder_id: funderId }] = (await api.dataSource.query(
        `SELECT funder_id FROM campaign_funder WHERE campaign_id = $1 ORDER BY funder_id LIMIT 1`,
        [c.id],
      )) as { funder_id: number }[];
      const res = await api.request('POST', `/api/v1/funders/${funderId}/pause`, { token: f.operatorToken });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('FUNDER_IN_USE');
      expect((await funders.get(funderId)).status).toBe('published');
    });

    it('refuses a duplicate name and an unknown district', async () => {
      const existing = await f.funder();
      await expectRefusedUnchanged(
        api.dataSource,
        () => funders.create(f.operator, { name: existing.name, kind: 'city', budgetFen: 1 }),
        'FUNDER_NAME_TAKEN',
      );
      await expectRefusedUnchanged(
        api.dataSource,
        () =>
          funders.create(f.operator, {
            name: uniq('f'),
            kind: 'district',
            district: 'atlantis',
            budgetFen: 1,
          }),
        'BATCH_REFERENCE_UNKNOWN',
      );
    });

    it('refuses a budget below what its published campaigns allocate, and accepts it at the allocation', async () => {
      const funder = await f.funder({ budgetFen: 2_000_000 });
      const c = await campaigns.create(f.operator, campaignInput([{ funderId: funder.id, shareBp: 10_000 }]));
      // A draft campaign allocates nothing yet.
      expect((await funders.get(funder.id)).allocatedFen).toBe(0);
      await campaigns.transition(f.operator, c.id, 'publish');
      expect((await funders.get(funder.id)).allocatedFen).toBe(1_000_000);

      const e = await expectRefusedUnchanged<{ details: unknown }>(
        api.dataSource,
        () => funders.update(f.operator, funder.id, { budgetFen: 999_999 }),
        'FUNDER_BUDGET_BELOW_ALLOCATED',
      );
      expect(e.details).toEqual({ allocatedFen: 1_000_000, committedFen: 0 });
      expect((await funders.update(f.operator, funder.id, { budgetFen: 1_000_000 })).budgetFen).toBe(
        1_000_000,
      );
    });

    it('does not allocate for a campaign ended as a draft, but keeps allocating for one ended after publishing', async () => {
      const funder = await f.funder({ budgetFen: 1_000_000 });
      // A draft far above the budget: ending it skips publish and its budget check.
      const draft = await campaigns.create(
        f.operator,
        campaignInput([{ funderId: funder.id, shareBp: 10_000 }], 5_000_000),
      );
      expect((await campaigns.transition(f.operator, draft.id, 'end')).status).toBe('ended');
      expect((await funders.get(funder.id)).allocatedFen).toBe(0);
      expect((await funders.update(f.operator, funder.id, { budgetFen: 900_000 })).budgetFen).toBe(900_000);
      const live = await campaigns.create(
        f.operator,
        campaignInput([{ funderId: funder.id, shareBp: 10_000 }], 900_000),
      );
      expect((await campaigns.transition(f.operator, live.id, 'publish')).status).toBe('published');
      await campaigns.transition(f.operator, live.id, 'end');
      // Ended after publishing: the money may have been spent, so it still counts.
      expect((await funders.get(funder.id)).allocatedFen).toBe(900_000);
      await expectRefusedUnchanged(
        api.dataSource,
        () => funders.update(f.operator, funder.id, { budgetFen: 899_999 }),
        'FUNDER_BUDGET_BELOW_ALLOCATED',
      );
    });

    it('refuses a budget below the subsidy already committed to redemptions', async () => {
      const funder = await f.funder({ budgetFen: 5_000 });
      await api.dataSource.query(`UPDATE funder SET committed_fen = 4000 WHERE id = $1`, [funder.id]);
      await expectRefusedUnchanged(
        api.dataSource,
        () => funders.update(f.operator, funder.id, { budgetFen: 3_999 }),
        'FUNDER_BUDGET_BELOW_ALLOCATED',
      );
    });
  });

  describe('campaign rules', () => {
    it('refuses shares that do not sum to 100%, a funder listed twice, and no funders', async () => {
      const a = await f.funder();
      const b = await f.funder();
      const e = await expectRefusedUnchanged<{ message: string; details: unknown }>(
        api.dataSource,
        () =>
          campaigns.create(
            f.operator,
            campaignInput([
              { funderId: a.id, shareBp: 7000 },
              { funderId: b.id, shareBp: 2000 },
            ]),
          ),
        'CAMPAIGN_SHARES_INVALID',
      );
      expect(e.message).toBe('Funder shares must sum to 100% (10000 basis points); they sum to 90%');
      expect(e.details).toEqual({ totalBp: 9000 });
      await expectRefusedUnchanged(
        api.dataSource,
        () =>
          campaigns.create(
            f.operator,
            campaignInput([
              { funderId: a.id, shareBp: 5000 },
              { funderId: a.id, shareBp: 5000 },
            ]),
          ),
        'CAMPAIGN_SHARES_INVALID',
      );
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.create(f.operator, campaignInput([])),
        'CAMPAIGN_SHARES_INVALID',
      );

      const c = await f.campaign();
      await expectRefusedUnchanged(
        api.dataSource,
        () =>
          campaigns.update(f.operator, c.id, {
            funders: [
              { funderId: a.id, shareBp: 6000 },
              { funderId: b.id, shareBp: 6000 },
            ],
          }),
        'CAMPAIGN_SHARES_INVALID',
      );
    });

    it('refuses unknown and ended funders, and dates that end before they start', async () => {
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.create(f.operator, campaignInput([{ funderId: 987_654, shareBp: 10_000 }])),
        'FUNDER_NOT_FOUND',
      );
      const ended = await f.funder();
      await funders.transition(f.operator, ended.id, 'end');
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.create(f.operator, campaignInput([{ funderId: ended.id, shareBp: 10_000 }])),
        'FUNDER_NOT_ACTIVE',
      );
      const ok = await f.funder();
      await expectRefusedUnchanged(
        api.dataSource,
        () =>
          campaigns.create(f.operator, {
            ...campaignInput([{ funderId: ok.id, shareBp: 10_000 }]),
            endsAt: new Date(now() - 2 * DAY),
          }),
        'CAMPAIGN_DATES_INVALID',
      );
    });

    it('refuses to publish while a funder is not published, and leaves the campaign a draft', async () => {
      const draftFunder = await f.funder({ publish: false });
      const live = await f.funder();
      const c = await campaigns.create(
        f.operator,
        campaignInput([
          { funderId: live.id, shareBp: 5000 },
          { funderId: draftFunder.id, shareBp: 5000 },
        ]),
      );
      const e = await expectRefusedUnchanged<{ details: unknown }>(
        api.dataSource,
        () => campaigns.transition(f.operator, c.id, 'publish'),
        'FUNDER_NOT_ACTIVE',
      );
      expect(e.details).toEqual({ funderIds: [draftFunder.id] });
      await funders.transition(f.operator, draftFunder.id, 'publish');
      expect((await campaigns.transition(f.operator, c.id, 'publish')).status).toBe('published');
    });

    it('refuses to add a draft funder to a published campaign', async () => {
      const c = await f.campaign();
      const draftFunder = await f.funder({ publish: false });
      await expectRefusedUnchanged(
        api.dataSource,
        () =>
          campaigns.update(f.operator, c.id, {
            funders: [
              { funderId: c.funders[0].funderId, shareBp: 5000 },
              { funderId: draftFunder.id, shareBp: 5000 },
            ],
          }),
        'FUNDER_NOT_ACTIVE',
      );
    });

    it('refuses to publish a campaign that takes a funder beyond its budget, across its campaigns', async () => {
      const city = await f.funder({ budgetFen: 1_000_000 });
      const district = await f.funder({ budgetFen: 10_000_000 });
      const first = await campaigns.create(
        f.operator,
        campaignInput(
          [
            { funderId: city.id, shareBp: 6000 },
            { funderId: district.id, shareBp: 4000 },
          ],
          1_000_000,
        ),
      );
      await campaigns.transition(f.operator, first.id, 'publish'); // city: 600,000 of 1,000,000
      const second = await campaigns.create(
        f.operator,
        campaignInput(
          [
            { funderId: city.id, shareBp: 5000 },
            { funderId: district.id, shareBp: 5000 },
          ],
          800_001,
        ),
      );
      // city would fund 600,000 + ceil(400,000.5) = 1,000,001 fen.
      const e = await expectRefusedUnchanged<{ message: string; details: unknown }>(
        api.dataSource,
        () => campaigns.transition(f.operator, second.id, 'publish'),
        'FUNDER_BUDGET_EXCEEDED',
      );
      expect(e.details).toEqual({ funderId: city.id, allocatedFen: 1_000_001, budgetFen: 1_000_000 });
      expect((await campaigns.get(second.id)).status).toBe('draft');

      await campaigns.update(f.operator, second.id, { budgetFen: 800_000 });
      expect((await campaigns.transition(f.operator, second.id, 'publish')).status).toBe('published');
      expect((await funders.get(city.id)).allocatedFen).toBe(1_000_000);
      // Raising the budget of a published campaign is held to the same rule.
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.update(f.operator, second.id, { budgetFen: 800_002 }),
        'FUNDER_BUDGET_EXCEEDED',
      );
    });

    it('publishes two campaigns sharing funders at the same moment without a deadlock', async () => {
      for (let i = 0; i < 8; i++) {
        const city = await f.funder({ budgetFen: 10_000_000 });
        const district = await f.funder({ budgetFen: 10_000_000 });
        // Listed in opposite orders, so neither campaign takes the funders in the other's order by luck.
        const a = await campaigns.create(
          f.operator,
          campaignInput([
            { funderId: city.id, shareBp: 6000 },
            { funderId: district.id, shareBp: 4000 },
          ]),
        );
        const b = await campaigns.create(
          f.operator,
          campaignInput([
            { funderId: district.id, shareBp: 5000 },
            { funderId: city.id, shareBp: 5000 },
          ]),
        );
        const results = await Promise.allSettled([
          campaigns.transition(f.operator, a.id, 'publish'),
          campaigns.transition(f.operator, b.id, 'publish'),
        ]);
        expect(results.map((r) => (r.status === 'fulfilled' ? r.value.status : r.reason))).toEqual([
          'published',
          'published',
        ]);
        expect((await funders.get(city.id)).allocatedFen).toBe(1_100_000);
        // A live campaign's budget edit and a publish on the same funders meet the same locks.
        const c = await campaigns.create(
          f.operator,
          campaignInput([
            { funderId: district.id, shareBp: 3000 },
            { funderId: city.id, shareBp: 7000 },
          ]),
        );
        const more = await Promise.allSettled([
          campaigns.update(f.operator, a.id, { budgetFen: 2_000_000 }),
          campaigns.update(f.operator, b.id, {
            funders: [
              { funderId: district.id, shareBp: 4000 },
              { funderId: city.id, shareBp: 6000 },
            ],
          }),
          campaigns.transition(f.operator, c.id, 'publish'),
        ]);
        expect(more.map((r) => (r.status === 'fulfilled' ? r.value.status : r.reason))).toEqual([
          'published',
          'published',
          'published',
        ]);
      }
    });

    it('walks the lifecycle, ends its batches with it, and refuses invalid transitions', async () => {
      const c = await f.campaign({ publish: false });
      const batch = await api.get(BatchService).create(f.operator, c.id, f.batchInput());
      for (const action of ['pause', 'resume'] as const) {
        await expectRefusedUnchanged(
          api.dataSource,
          () => campaigns.transition(f.operator, c.id, action),
          'INVALID_STATUS_TRANSITION',
        );
      }
      expect((await campaigns.transition(f.operator, c.id, 'publish')).status).toBe('published');
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.transition(f.operator, c.id, 'resume'),
        'INVALID_STATUS_TRANSITION',
      );
      expect((await campaigns.transition(f.operator, c.id, 'pause')).status).toBe('paused');
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.transition(f.operator, c.id, 'pause'),
        'INVALID_STATUS_TRANSITION',
      );
      expect((await campaigns.transition(f.operator, c.id, 'resume')).status).toBe('published');
      await api.get(BatchService).transition(f.operator, batch.id, 'publish');
      expect((await campaigns.transition(f.operator, c.id, 'end')).status).toBe('ended');
      expect((await api.get(BatchService).get(batch.id)).status).toBe('ended');
      for (const action of ['publish', 'pause', 'resume', 'end'] as const) {
        await expectRefusedUnchanged(
          api.dataSource,
          () => campaigns.transition(f.operator, c.id, action),
          'INVALID_STATUS_TRANSITION',
        );
      }
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { name: 'too late' }),
        'CAMPAIGN_NOT_EDITABLE',
      );
    });

    it('refuses a stale version and accepts the current one', async () => {
      const c = await f.campaign();
      const v = c.version;
      const edited = await campaigns.update(f.operator, c.id, { name: uniq('renamed'), version: v });
      expect(edited.version).toBe(v + 1);
      const e = await expectRefusedUnchanged<{ details: unknown }>(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { description: 'mine', version: v }),
        'STALE_VERSION',
      );
      expect(e.details).toEqual({ currentVersion: v + 1 });
    });

    it('gives a shares-only edit a new version, so an edit at the old one is refused', async () => {
      const c = await f.campaign({ publish: false });
      const v = c.version;
      const original = c.funders.map((s) => ({ funderId: s.funderId, shareBp: s.shareBp }));
      const shares = [{ funderId: original[0].funderId, shareBp: 10_000 }];
      const edited = await campaigns.update(f.operator, c.id, { funders: shares, version: v });
      expect(edited.version).toBe(v + 1);
      expect(edited.funders.map((s) => s.shareBp)).toEqual([10_000]);
      const e = await expectRefusedUnchanged<{ details: unknown }>(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { funders: original, version: v }),
        'STALE_VERSION',
      );
      expect(e.details).toEqual({ currentVersion: v + 1 });
      // A patch that changes the row and the shares together still moves one version on.
      const both = await campaigns.update(f.operator, c.id, {
        description: 'both',
        funders: original,
        version: v + 1,
      });
      expect(both.version).toBe(v + 2);
    });

    it('refuses a budget below what its batches need, and dates that leave a round outside', async () => {
      const c = await f.campaign({ budgetFen: 1_000_000 });
      await api.get(BatchService).create(
        f.operator,
        c.id,
        f.batchInput({
          quota: 100,
          faceValueFen: 3000,
          rounds: [{ opensAt: new Date(now() + HOUR), quota: 100 }],
        }),
      );
      const e = await expectRefusedUnchanged<{ details: unknown }>(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { budgetFen: 299_999 }),
        'BATCH_OVER_CAMPAIGN_BUDGET',
      );
      expect(e.details).toEqual({ batchesFaceValueFen: 300_000 });
      expect((await campaigns.update(f.operator, c.id, { budgetFen: 300_000 })).budgetFen).toBe(300_000);
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { startsAt: new Date(now() + 2 * HOUR) }),
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
      );
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { endsAt: new Date(now() + HOUR) }),
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
      );
    });

    it('freezes budget and shares once a voucher of the campaign was claimed', async () => {
      const b = await f.batch();
      const citizen = await f.citizen();
      await insertVoucher(api.dataSource, {
        batchId: b.id,
        roundId: b.rounds[0].id,
        citizenId: citizen.id,
        at: api.clock.now(),
      });
      const c = await campaigns.get(b.campaignId);
      const e = await expectRefusedUnchanged<{ details: unknown }>(
        api.dataSource,
        () => campaigns.update(f.operator, c.id, { budgetFen: c.budgetFen + 1 }),
        'BATCH_MONEY_RULES_LOCKED',
      );
      expect(e.details).toEqual({ claimedBatchIds: [b.id] });
      await expectRefusedUnchanged(
        api.dataSource,
        () =>
          campaigns.update(f.operator, c.id, {
            funders: c.funders.map((x, i) => ({ funderId: x.funderId, shareBp: i === 0 ? 5000 : 5000 })),
          }),
        'BATCH_MONEY_RULES_LOCKED',
      );
      // Words may still change.
      expect((await campaigns.update(f.operator, c.id, { description: '更新说明' })).description).toBe(
        '更新说明',
      );
    });

    it('answers CAMPAIGN_NOT_FOUND for an unknown campaign', async () => {
      expect((await refusal(campaigns.get(999_999))).code).toBe('CAMPAIGN_NOT_FOUND');
      await expectRefusedUnchanged(
        api.dataSource,
        () => campaigns.transition(f.operator, 999_999, 'publish'),
        'CAMPAIGN_NOT_FOUND',
      );
    });
  });

  describe('the database refuses shares that do not sum to 100% (ck_campaign_shares_sum)', () => {
    async function inSql(statements: [string, unknown[]][]): Promise<{ constraint?: string; code?: string }> {
      const qr = api.dataSource.createQueryRunner();
      await qr.connect();
      try {
        await qr.startTransaction();
        for (const [sql, params] of statements) await qr.query(sql, params);
        await qr.commitTransaction();
        return {};
      } catch (e) {
        if (qr.isTransactionActive) await qr.rollbackTransaction();
        const err = e as {
          constraint?: string;
          code?: string;
          driverError?: { constraint?: string; code?: string };
        };
        return {
          constraint: err.driverError?.constraint ?? err.constraint,
          code: err.driverError?.code ?? err.code,
        };
      } finally {
        await qr.release();
      }
    }
    const shares = async (campaignId: number) =>
      (await api.dataSource.query(
        `SELECT funder_id, share_bp FROM campaign_funder WHERE campaign_id = $1 ORDER BY funder_id`,
        [campaignId],
      )) as unknown[];

    it('at commit, for a published campaign: a changed share, a deleted share, an added share', async () => {
      const c = await f.campaign(); // 7000 / 3000
      const before = await shares(c.id);
      const [first, second] = c.funders;
      expect(
        await inSql([
          [
            `UPDATE campaign_funder SET share_bp = 6000 WHERE campaign_id = $1 AND funder_id = $2`,
            [c.id, first.funderId],
          ],
        ]),
      ).toEqual({ constraint: 'ck_campaign_shares_sum', code: '23514' });
      expect(
        await inSql([
          [`DELETE FROM campaign_funder WHERE campaign_id = $1 AND funder_id = $2`, [c.id, second.funderId]],
        ]),
      ).toEqual({ constraint: 'ck_campaign_shares_sum', code: '23514' });
      const extra = await f.funder();
      expect(
        await inSql([
          [
            `INSERT INTO campaign_funder (campaign_id, funder_id, share_bp) VALUES ($1, $2, 100)`,
            [c.id, extra.id],
          ],
        ]),
      ).toEqual({ constraint: 'ck_campaign_shares_sum', code: '23514' });
      expect(await shares(c.id)).toEqual(before);

      // Checked at commit, not per row: rewriting the shares in one transaction is fine.
      expect(
        await inSql([
          [
            `UPDATE campaign_funder SET share_bp = 5000 WHERE campaign_id = $1 AND funder_id = $2`,
            [c.id, first.funderId],
          ],
          [
            `UPDATE campaign_funder SET share_bp = 5000 WHERE campaign_id = $1 AND funder_id = $2`,
            [c.id, second.funderId],
          ],
        ]),
      ).toEqual({});
    });

    it('when a share is moved from a published campaign to another one', async () => {
      const live = await f.campaign(); // 7000 / 3000
      const draft = await f.campaign({ publish: false, shares: [10_000] });
      const before = await shares(live.id);
      const moved = live.funders[1].funderId;
      expect(
        await inSql([
          [
            `UPDATE campaign_funder SET campaign_id = $2 WHERE campaign_id = $1 AND funder_id = $3`,
            [live.id, draft.id, moved],
          ],
        ]),
      ).toEqual({ constraint: 'ck_campaign_shares_sum', code: '23514' });
      expect(await shares(live.id)).toEqual(before);
    });

    it('when a draft campaign with bad shares is published in SQL, but not while it stays a draft', async () => {
      const c = await f.campaign({ publish: false });
      const [first] = c.funders;
      expect(
        await inSql([
          [
            `UPDATE campaign_funder SET share_bp = 1000 WHERE campaign_id = $1 AND funder_id = $2`,
            [c.id, first.funderId],
          ],
        ]),
      ).toEqual({});
      expect(await inSql([[`UPDATE campaign SET status = 'published' WHERE id = $1`, [c.id]]])).toEqual({
        constraint: 'ck_campaign_shares_sum',
        code: '23514',
      });
      expect((await campaigns.get(c.id)).status).toBe('draft');
    });
  });
});
