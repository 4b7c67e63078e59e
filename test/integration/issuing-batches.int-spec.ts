import { BatchService, CampaignService } from '@jinli/issuing';
import {
  DAY,
  expectRefusedUnchanged,
  Factories,
  HOUR,
  insertVoucher,
  refusal,
  TestApi,
} from '@jinli/testing';

describe('issuing: voucher batches (real PostgreSQL)', () => {
  let api: TestApi;
  let f: Factories;
  let batches: BatchService;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T10:00:00+08:00' });
    f = await new Factories(api).init();
    batches = api.get(BatchService);
  });
  afterAll(() => api.close());

  const at = (offsetMs: number) => new Date(api.clock.nowMs() + offsetMs);
  const refused = (work: () => Promise<unknown>, code: string) =>
    expectRefusedUnchanged<{ message: string; details?: unknown }>(api.dataSource, work, code);

  describe('amounts and budget', () => {
    it('refuses a threshold below the face value, on create and on edit', async () => {
      const c = await f.campaign();
      const e = await refused(
        () => batches.create(f.operator, c.id, f.batchInput({ faceValueFen: 3000, thresholdFen: 2999 })),
        'BATCH_THRESHOLD_BELOW_FACE_VALUE',
      );
      expect(e.details).toEqual({ faceValueFen: 3000, thresholdFen: 2999 });
      // Equal is allowed: a 30-yuan voucher on a 30-yuan order.
      const b = await batches.create(
        f.operator,
        c.id,
        f.batchInput({ faceValueFen: 3000, thresholdFen: 3000 }),
      );
      await refused(
        () => batches.update(f.operator, b.id, { thresholdFen: 2000 }),
        'BATCH_THRESHOLD_BELOW_FACE_VALUE',
      );
      await refused(
        () => batches.update(f.operator, b.id, { faceValueFen: 3001 }),
        'BATCH_THRESHOLD_BELOW_FACE_VALUE',
      );
    });

    it('refuses quota x face value above the campaign budget, counting the other batches', async () => {
      const c = await f.campaign({ budgetFen: 1_000_000 });
      const one = (quota: number) =>
        f.batchInput({
          quota,
          faceValueFen: 3000,
          thresholdFen: 10_000,
          rounds: [{ opensAt: at(HOUR), quota }],
        });

      const e = await refused(() => batches.create(f.operator, c.id, one(334)), 'BATCH_OVER_CAMPAIGN_BUDGET');
      expect(e.details).toEqual({
        campaignBudgetFen: 1_000_000,
        otherBatchesFen: 0,
        requestedFen: 1_002_000,
      });

      const first = await batches.create(f.operator, c.id, one(100)); // 300,000
      await batches.create(f.operator, c.id, one(200)); // 600,000 -> 900,000
      const e2 = await refused(() => batches.create(f.operator, c.id, one(34)), 'BATCH_OVER_CAMPAIGN_BUDGET');
      expect(e2.details).toEqual({
        campaignBudgetFen: 1_000_000,
        otherBatchesFen: 900_000,
        requestedFen: 102_000,
      });
      await batches.create(f.operator, c.id, one(33)); // 999,000
      expect((await api.get(CampaignService).get(c.id)).batchesFaceValueFen).toBe(999_000);

      // Editing one batch is held to the budget left by the others.
      await refused(() => batches.update(f.operator, first.id, { quota: 101 }), 'BATCH_OVER_CAMPAIGN_BUDGET');
      await refused(
        () => batches.update(f.operator, first.id, { faceValueFen: 3011 }),
        'BATCH_OVER_CAMPAIGN_BUDGET',
      );
      expect((await batches.update(f.operator, first.id, { faceValueFen: 3010 })).faceValueFen).toBe(3010);
    });

    it('refuses an amount whose quota x face value is not a safe integer', async () => {
      const c = await f.campaign();
      await refused(
        () =>
          batches.create(
            f.operator,
            c.id,
            f.batchInput({
              quota: 100_000_000,
              faceValueFen: 1_000_000_000_000,
              thresholdFen: 1_000_000_000_000,
            }),
          ),
        'BATCH_OVER_CAMPAIGN_BUDGET',
      );
    });
  });

  describe('rounds', () => {
    it('refuses rounds outside the campaign dates', async () => {
      const c = await f.campaign({ startsAt: at(-DAY), endsAt: at(10 * DAY) });
      const withRound = (opensAt: Date, closesAt?: Date) =>
        f.batchInput({ quota: 10, rounds: [{ opensAt, closesAt, quota: 10 }] });
      const before = await refused(
        () => batches.create(f.operator, c.id, withRound(at(-DAY - 1))),
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
      );
      expect(before.details).toEqual({ round: 1 });
      await refused(
        () => batches.create(f.operator, c.id, withRound(at(10 * DAY))),
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
      );
      await refused(
        () => batches.create(f.operator, c.id, withRound(at(DAY), at(10 * DAY + 1))),
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
      );
      // The edges are inside: the start itself, and a close at the end.
      await batches.create(f.operator, c.id, withRound(at(-DAY), at(10 * DAY)));
    });

    it('refuses rounds that hand out more than the quota, open out of order, overlap or close before they open', async () => {
      const c = await f.campaign();
      const input = (rounds: { opensAt: Date; closesAt?: Date; quota: number }[], quota = 100) =>
        f.batchInput({ quota, rounds });
      const over = await refused(
        () =>
          batches.create(
            f.operator,
            c.id,
            input([
              { opensAt: at(HOUR), quota: 60 },
              { opensAt: at(DAY), quota: 41 },
            ]),
          ),
        'BATCH_ROUNDS_OVER_QUOTA',
      );
      expect(over.details).toEqual({ roundsTotal: 101, quota: 100 });
      const order = await refused(
        () =>
          batches.create(
            f.operator,
            c.id,
            input([
              { opensAt: at(DAY), quota: 50 },
              { opensAt: at(HOUR), quota: 50 },
            ]),
          ),
        'BATCH_ROUNDS_INVALID',
      );
      expect(order.message).toBe('Round 2 must open after round 1 (and after it closes)');
      await refused(
        () =>
          batches.create(
            f.operator,
            c.id,
            input([
              { opensAt: at(HOUR), closesAt: at(3 * HOUR), quota: 50 },
              { opensAt: at(2 * HOUR), quota: 50 },
            ]),
          ),
        'BATCH_ROUNDS_INVALID',
      );
      await refused(
        () =>
          batches.create(f.operator, c.id, input([{ opensAt: at(2 * HOUR), closesAt: at(HOUR), quota: 50 }])),
        'BATCH_ROUNDS_INVALID',
      );
      await refused(() => batches.create(f.operator, c.id, input([])), 'BATCH_ROUNDS_INVALID');
      await refused(
        () => batches.create(f.operator, c.id, input([{ opensAt: at(HOUR), quota: 0 }])),
        'BATCH_ROUNDS_INVALID',
      );

      const ok = await batches.create(
        f.operator,
        c.id,
        input([
          { opensAt: at(HOUR), closesAt: at(2 * HOUR), quota: 50 },
          { opensAt: at(DAY), quota: 50 },
        ]),
      );
      expect(ok.rounds.map((r) => [r.seq, r.quota])).toEqual([
        [1, 50],
        [2, 50],
      ]);
    });

    it('appends a round only in order and within the quota', async () => {
      const b = await f.batch({ quota: 100, rounds: [{ opensAt: at(-HOUR), quota: 60 }] });
      await refused(
        () => batches.addRound(f.operator, b.id, { opensAt: at(DAY), quota: 41 }),
        'BATCH_ROUNDS_OVER_QUOTA',
      );
      await refused(
        () => batches.addRound(f.operator, b.id, { opensAt: at(-2 * HOUR), quota: 10 }),
        'BATCH_ROUNDS_INVALID',
      );
      await refused(
        () => batches.addRound(f.operator, b.id, { opensAt: at(60 * DAY), quota: 10 }),
        'BATCH_ROUND_OUTSIDE_CAMPAIGN',
      );
      const after = await batches.addRound(f.operator, b.id, { opensAt: at(DAY), quota: 40 });
      expect(after.rounds.map((r) => r.seq)).toEqual([1, 2]);
    });

    it('does not rewrite rounds once one has opened', async () => {
      const b = await f.batch({ publish: false }); // its only round opened an hour ago
      await refused(
        () => batches.update(f.operator, b.id, { rounds: [{ opensAt: at(HOUR), quota: 10 }] }),
        'BATCH_ROUNDS_INVALID',
      );
      const later = await f.batch({ publish: false, rounds: [{ opensAt: at(HOUR), quota: 10 }] });
      const edited = await batches.update(f.operator, later.id, {
        rounds: [
          { opensAt: at(2 * HOUR), quota: 5 },
          { opensAt: at(DAY), quota: 5 },
        ],
      });
      expect(edited.rounds.map((r) => r.quota)).toEqual([5, 5]);
    });
  });

  describe('other rules', () => {
    it('refuses invalid validity and usage windows', async () => {
      const c = await f.campaign();
      await refused(
        () =>
          batches.create(
            f.operator,
            c.id,
            f.batchInput({ validity: { kind: 'fixed', from: at(DAY), until: at(DAY) } }),
          ),
        'BATCH_VALIDITY_INVALID',
      );
      for (const days of [0, 367, 1.5]) {
        await refused(
          () => batches.create(f.operator, c.id, f.batchInput({ validity: { kind: 'relative', days } })),
          'BATCH_VALIDITY_INVALID',
        );
      }
      for (const w of [
        { start: '20:30', end: '20:30' },
        { start: '24:00', end: '02:00' },
        { start: '8:30', end: '10:00' },
      ]) {
        await refused(
          () => batches.create(f.operator, c.id, f.batchInput({ usageWindows: [w] })),
          'BATCH_USAGE_WINDOW_INVALID',
        );
      }
      const night = await batches.create(
        f.operator,
        c.id,
        f.batchInput({ usageWindows: [{ start: '20:30', end: '02:00' }] }),
      );
      expect(night.usageWindows).toEqual([{ start: '20:30', end: '02:00' }]);
    });

    it('refuses unknown categories, districts and merchants, naming them', async () => {
      const c = await f.campaign();
      const { merchant } = await f.merchant();
      const e = await refused(
        () =>
          batches.create(
            f.operator,
            c.id,
            f.batchInput({
              allowedCategories: ['catering', 'spaceships'],
              allowedDistricts: ['gusu', 'atlantis'],
              merchantWhitelist: [merchant.id, 987_654],
            }),
          ),
        'BATCH_REFERENCE_UNKNOWN',
      );
      expect(e.details).toEqual({
        categories: ['spaceships'],
        districts: ['atlantis'],
        merchants: [987_654],
      });
      const b = await batches.create(
        f.operator,
        c.id,
        f.batchInput({
          allowedCategories: ['catering'],
          allowedDistricts: ['gusu'],
          merchantWhitelist: [merchant.id],
        }),
      );
      await refused(
        () => batches.update(f.operator, b.id, { allowedDistricts: ['nowhere'] }),
        'BATCH_REFERENCE_UNKNOWN',
      );
    });

    it('takes one voucher per order: refuses vouchersPerOrder other than 1, on create and on edit', async () => {
      const c = await f.campaign();
      for (const vouchersPerOrder of [2, 0, 10]) {
        const e = await refused(
          () => batches.create(f.operator, c.id, f.batchInput({ vouchersPerOrder })),
          'VALIDATION_FAILED',
        );
        expect(e.message).toBe('vouchersPerOrder must be 1: Jinli takes one voucher per order');
      }
      const b = await batches.create(f.operator, c.id, f.batchInput({ vouchersPerOrder: 1 }));
      expect(b.vouchersPerOrder).toBe(1);
      await refused(() => batches.update(f.operator, b.id, { vouchersPerOrder: 2 }), 'VALIDATION_FAILED');
      expect((await batches.update(f.operator, b.id, { vouchersPerOrder: 1 })).vouchersPerOrder).toBe(1);
    });

    it('refuses a stale version', async () => {
      const b = await f.batch({ publish: false });
      const edited = await batches.update(f.operator, b.id, { name: '满100减30（改）', version: b.version });
      expect(edited.version).toBe(b.version + 1);
      const e = await refused(
        () => batches.update(f.operator, b.id, { description: 'x', version: b.version }),
        'STALE_VERSION',
      );
      expect(e.details).toEqual({ currentVersion: b.version + 1 });
    });

    it('gives a rounds-only edit and an added round a new version, so an edit at the old one is refused', async () => {
      const b = await f.batch({ publish: false, rounds: [{ opensAt: at(HOUR), quota: 10 }] });
      const edited = await batches.update(f.operator, b.id, {
        rounds: [{ opensAt: at(2 * HOUR), quota: 10 }],
        version: b.version,
      });
      expect(edited.version).toBe(b.version + 1);
      const stale = await refused(
        () =>
          batches.update(f.operator, b.id, {
            rounds: [{ opensAt: at(3 * HOUR), quota: 5 }],
            version: b.version,
          }),
        'STALE_VERSION',
      );
      expect(stale.details).toEqual({ currentVersion: b.version + 1 });

      const added = await batches.addRound(f.operator, b.id, { opensAt: at(DAY), quota: 5 });
      expect(added.version).toBe(edited.version + 1);
      const e = await refused(
        () => batches.update(f.operator, b.id, { description: 'x', version: edited.version }),
        'STALE_VERSION',
      );
      expect(e.details).toEqual({ currentVersion: added.version });
      expect(
        (await batches.update(f.operator, b.id, { description: 'y', version: added.version })).version,
      ).toBe(added.version + 1);
    });

    it('answers BATCH_NOT_FOUND and CAMPAIGN_NOT_FOUND', async () => {
      expect((await refusal(batches.get(999_999))).code).toBe('BATCH_NOT_FOUND');
      await refused(() => batches.update(f.operator, 999_999, { name: 'x' }), 'BATCH_NOT_FOUND');
      await refused(() => batches.create(f.operator, 999_999, f.batchInput()), 'CAMPAIGN_NOT_FOUND');
    });
  });

  describe('lifecycle', () => {
    it('publishes only inside a published campaign, then pauses, resumes and ends', async () => {
      const c = await f.campaign({ publish: false });
      const b = await batches.create(f.operator, c.id, f.batchInput());
      await refused(() => batches.transition(f.operator, b.id, 'publish'), 'CAMPAIGN_NOT_PUBLISHED');
      await api.get(CampaignService).transition(f.operator, c.id, 'publish');
      await refused(() => batches.transition(f.operator, b.id, 'pause'), 'INVALID_STATUS_TRANSITION');
      const published = await batches.transition(f.operator, b.id, 'publish');
      expect(published.status).toBe('published');
      expect(await batches.transition(f.operator, b.id, 'pause')).toMatchObject({ status: 'paused' });
      // A paused campaign does not let its batches resume.
      await api.get(CampaignService).transition(f.operator, c.id, 'pause');
      await refused(() => batches.transition(f.operator, b.id, 'resume'), 'CAMPAIGN_NOT_PUBLISHED');
      await api.get(CampaignService).transition(f.operator, c.id, 'resume');
      expect(await batches.transition(f.operator, b.id, 'resume')).toMatchObject({ status: 'published' });
      expect(await batches.transition(f.operator, b.id, 'end')).toMatchObject({ status: 'ended' });
      for (const action of ['publish', 'pause', 'resume', 'end'] as const) {
        await refused(() => batches.transition(f.operator, b.id, action), 'INVALID_STATUS_TRANSITION');
      }
      await refused(() => batches.update(f.operator, b.id, { name: 'x' }), 'INVALID_STATUS_TRANSITION');
      await refused(
        () => batches.addRound(f.operator, b.id, { opensAt: at(DAY), quota: 1 }),
        'INVALID_STATUS_TRANSITION',
      );
    });

    it('gives an ended campaign no new batches', async () => {
      const c = await f.campaign();
      await api.get(CampaignService).transition(f.operator, c.id, 'end');
      await refused(() => batches.create(f.operator, c.id, f.batchInput()), 'CAMPAIGN_NOT_EDITABLE');
    });
  });

  describe('once vouchers were claimed', () => {
    it('freezes the money rules, keeps the quota above what is out, and still allows words to change', async () => {
      const b = await f.batch({
        quota: 100,
        perCitizenLimit: 2,
        rounds: [{ opensAt: at(-HOUR), quota: 100 }],
      });
      const citizen = await f.citizen();
      await insertVoucher(api.dataSource, {
        batchId: b.id,
        roundId: b.rounds[0].id,
        citizenId: citizen.id,
        at: at(0),
      });
      await insertVoucher(api.dataSource, {
        batchId: b.id,
        roundId: b.rounds[0].id,
        citizenId: citizen.id,
        slot: 2,
        at: at(0),
      });
      expect((await batches.get(b.id)).issuedCount).toBe(2);

      const patches = [
        [{ faceValueFen: 2000 }, ['faceValueFen']],
        [{ thresholdFen: 20_000 }, ['thresholdFen']],
        [{ validity: { kind: 'relative' as const, days: 8 } }, ['validity']],
        [{ validity: { kind: 'fixed' as const, from: at(0), until: at(DAY) } }, ['validity']],
        [{ refundPolicy: 'void' as const }, ['refundPolicy']],
        [{ perCitizenLimit: 3 }, ['perCitizenLimit']],
        [{ faceValueFen: 2000, thresholdFen: 9000 }, ['faceValueFen', 'thresholdFen']],
      ] as const;
      for (const [patch, fields] of patches) {
        const e = await refused(() => batches.update(f.operator, b.id, patch), 'BATCH_MONEY_RULES_LOCKED');
        expect(e.details).toEqual({ fields, issuedCount: 2 });
      }
      await refused(() => batches.update(f.operator, b.id, { quota: 1 }), 'BATCH_ROUNDS_OVER_QUOTA');
      await refused(
        () => batches.update(f.operator, b.id, { rounds: [{ opensAt: at(HOUR), quota: 100 }] }),
        'BATCH_ROUNDS_INVALID',
      );

      // Sending the unchanged values back (a form re-submitted) is not a change.
      const same = await batches.update(f.operator, b.id, {
        name: '满100减30（第二期）',
        faceValueFen: 3000,
        thresholdFen: 10_000,
        validity: { kind: 'relative', days: 7 },
      });
      expect(same).toMatchObject({ name: '满100减30（第二期）', faceValueFen: 3000, issuedCount: 2 });
    });
  });
});
