import fc from 'fast-check';
import { addDays, Actor } from '@jinli/platform';
import { BatchView } from '@jinli/issuing';
import { ReportAggregatesService } from '@jinli/reporting';
import {
  OutboxProcessor,
  PayoutService,
  runSettlementAudit,
  SettlementRunService,
  StatementService,
} from '@jinli/settlement';
import { Factories, MerchantFixture, RedemptionFixture, SettlementFactories, TestApi } from '@jinli/testing';

type Op =
  | { kind: 'claim' }
  | { kind: 'redeem'; merchant: number; extraFen: number; useClaimed: boolean }
  | { kind: 'refund'; pick: number; how: 'full' | 'keep' | 'below' }
  | { kind: 'nextDay' }
  | { kind: 'settle' }
  | { kind: 'daily' }
  | { kind: 'review'; pick: number; decision: 'approve' | 'reject' | 'hold' | 'release' }
  | { kind: 'approveAll' }
  | { kind: 'payout'; then: 'keep' | 'pay' | 'failOne' | 'cancel' }
  | { kind: 'outbox'; limit: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant<Op>({ kind: 'claim' }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('redeem' as const),
      merchant: fc.nat(2),
      extraFen: fc.integer({ min: 0, max: 30_000 }),
      useClaimed: fc.boolean(),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      pick: fc.nat(),
      how: fc.constantFrom('full' as const, 'keep' as const, 'below' as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.constant<Op>({ kind: 'nextDay' }), weight: 2 },
  { arbitrary: fc.constant<Op>({ kind: 'settle' }), weight: 2 },
  { arbitrary: fc.constant<Op>({ kind: 'daily' }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('review' as const),
      pick: fc.nat(),
      decision: fc.constantFrom('approve' as const, 'reject' as const, 'hold' as const, 'release' as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.constant<Op>({ kind: 'approveAll' }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('payout' as const),
      then: fc.constantFrom('keep' as const, 'pay' as const, 'failOne' as const, 'cancel' as const),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('outbox' as const), limit: fc.integer({ min: 1, max: 5 }) }),
    weight: 2,
  },
);

describe('ledger model', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  let round = 0;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2023-01-01T09:00:00+08:00' });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
  });
  afterAll(() => api.close());

  it('balances after any sequence of claims, redemptions, refunds, settlements, reviews and payouts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 8, maxLength: 30 }), async (ops) => {
        round += 1;
        // Each sequence lives on its own days, with its own funders and merchants.
        const startDay = addDays('2023-01-01', round * 40);
        api.clock.set(`${startDay}T09:00:00+08:00`);
        const starter: Actor = (await sf.finance()).actor;
        const reviewer: Actor = (await sf.finance()).actor;
        const campaign = await f.campaign({ startsAt: new Date(`${startDay}T00:00:00+08:00`) });
        const batch: BatchView = await f.batch({
          campaignId: campaign.id,
          faceValueFen: 3000,
          thresholdFen: 10_000,
        });
        const funderIds = campaign.funders.map((x) => x.funderId);
        const merchants: MerchantFixture[] = [];
        for (let i = 0; i < 3; i++) merchants.push(await sf.merchant());
        const mids = merchants.map((m) => m.merchantId);
        const claimed: number[] = [];
        const live: RedemptionFixture[] = [];
        const nets = new Map<number, number>();
        const runs = api.get(SettlementRunService);
        const statements = api.get(StatementService);
        const payouts = api.get(PayoutService);
        const today = () => runs.today();

        const ours = async (status?: string) =>
          (await api.dataSource.query(
            `SELECT id, status FROM settlement_statement WHERE merchant_id = ANY($1) AND ($2::text IS NULL OR status = $2) ORDER BY id`,
            [mids, status ?? null],
          )) as { id: number; status: string }[];

        for (const o of ops) {
          switch (o.kind) {
            case 'claim':
              claimed.push(await sf.voucher(batch));
              break;
            case 'redeem': {
              const voucherId = o.useClaimed ? claimed.pop() : undefined;
              const r = await sf.redeem({
                batch,
                merchant: merchants[o.merchant],
                orderAmountFen: 10_000 + o.extraFen,
                voucherId,
              });
              live.push(r);
              nets.set(r.id, r.orderAmountFen);
              break;
            }
            case 'refund': {
              if (!live.length) break;
              const r = live[o.pick % live.length];
              const net = nets.get(r.id)!;
              const amountFen = o.how === 'full' ? net : o.how === 'keep' ? net - 10_000 : net - 9_999;
              if (amountFen <= 0) break;
              const refund = await sf.refund(r.id, { amountFen });
              if (refund.outcome === 'kept') nets.set(r.id, net - amountFen);
              else live.splice(live.indexOf(r), 1);
              break;
            }
            case 'nextDay':
              api.clock.advance(24 * 3600_000);
              break;
            case 'settle': {
              const yesterday = addDays(today(), -1);
              if (yesterday < startDay) break;
              const run = await runs.start(starter, { fromDay: startDay, toDay: yesterday });
              expect((await runs.runNow(run.id)).status).toBe('completed');
              break;
            }
            case 'daily': {
              const run = await runs.startDaily();
              await runs.runNow(run.id);
              break;
            }
            case 'review': {
              const candidates = await ours();
              if (!candidates.length) break;
              const s = candidates[o.pick % candidates.length];
              const allowed = {
                approve: ['pending_review', 'held'],
                reject: ['pending_review'],
                hold: ['pending_review'],
                release: ['held'],
              }[o.decision];
              const attempt = statements.decide(reviewer, o.decision, [s.id], '模型测试');
              if (allowed.includes(s.status)) await attempt;
              else await expect(attempt).rejects.toMatchObject({ code: 'STATEMENT_INVALID_TRANSITION' });
              break;
            }
            case 'approveAll': {
              const pending = (await api.dataSource.query(
                `SELECT id, started_by AS "startedBy" FROM settlement_statement
                  WHERE merchant_id = ANY($1) AND status = 'pending_review' ORDER BY id`,
                [mids],
              )) as { id: number; startedBy: number | null }[];
              const ids = pending.map((s) => s.id);
              // The starter of a finance run may not approve its statements (daily runs have no starter).
              if (pending.some((s) => s.startedBy === starter.id))
                await expect(statements.approve(starter, ids)).rejects.toMatchObject({
                  code: 'STATEMENT_FOUR_EYES',
                });
              if (ids.length) await statements.approve(reviewer, ids);
              break;
            }
            case 'payout': {
              for (const funderId of funderIds) {
                try {
                  const p = await payouts.create(reviewer, { funderId });
                  // A payout leaves no approved statement of a funder and merchant it pays outside it.
                  const left = (await api.dataSource.query(
                    `SELECT count(*)::int AS n FROM settlement_statement s
                      WHERE s.status = 'approved' AND s.payout_id IS NULL
                        AND EXISTS (SELECT 1 FROM settlement_statement x WHERE x.payout_id = $1
                                     AND x.funder_id = s.funder_id AND x.merchant_id = s.merchant_id)`,
                    [p.id],
                  )) as { n: number }[];
                  expect(left[0].n).toBe(0);
                  // Four eyes: the creator does not confirm the payment.
                  if (o.then === 'pay') await payouts.markPaid(starter, p.id, `BANK-${p.id}`);
                  if (o.then === 'cancel') await payouts.cancel(reviewer, p.id, '模型测试作废');
                  if (o.then === 'failOne') {
                    const [first] = await payouts.rows(p.id);
                    const failed = first ? [{ ...first, reason: '银行退回' }] : [];
                    await payouts.markPaid(starter, p.id, `BANK-${p.id}`, failed);
                  }
                } catch (e) {
                  expect(e).toMatchObject({ code: 'PAYOUT_NOTHING_TO_PAY' });
                }
              }
              break;
            }
            case 'outbox':
              await api.get(OutboxProcessor).processBatch(o.limit);
              break;
          }
        }
        await api.get(OutboxProcessor).drain();

        // Every invariant of the money trail, for this sequence's funders (other files share the database).
        const audit = await runSettlementAudit(api.dataSource.manager, { funderIds, now: api.clock.now() });
        // Warnings (claw-backs still owed) are not broken invariants.
        for (const check of audit.filter((c) => c.severity === 'violation'))
          expect({ check: check.name, problems: check.problems }).toEqual({
            check: check.name,
            problems: [],
          });

        // The model: funder budgets hold exactly the live parts; each merchant's receivable,
        // payable and bank together hold minus its live subsidy; the bank holds what was paid.
        const liveByFunder = new Map<number, number>();
        const liveByMerchant = new Map<number, number>();
        for (const r of live)
          for (const p of r.parts) {
            liveByFunder.set(p.funderId, (liveByFunder.get(p.funderId) ?? 0) + p.amountFen);
            liveByMerchant.set(r.merchantId, (liveByMerchant.get(r.merchantId) ?? 0) + p.amountFen);
          }
        const budgets = (await api.dataSource.query(
          `SELECT f.id, f.committed_fen AS committed, COALESCE(sum(e.amount_fen), 0)::bigint AS ledger
             FROM funder f LEFT JOIN ledger_entry e ON e.funder_id = f.id AND e.account = 'funder_budget'
            WHERE f.id = ANY($1) GROUP BY f.id`,
          [funderIds],
        )) as { id: number; committed: number; ledger: number }[];
        for (const b of budgets) {
          expect(b.committed).toBe(liveByFunder.get(b.id) ?? 0);
          expect(b.ledger).toBe(b.committed);
        }
        const perMerchant = (await api.dataSource.query(
          `SELECT m.id,
                  COALESCE((SELECT sum(amount_fen) FROM ledger_entry WHERE merchant_id = m.id AND account <> 'funder_budget'), 0)::bigint AS owed,
                  COALESCE((SELECT sum(amount_fen) FROM ledger_entry WHERE merchant_id = m.id AND account = 'bank'), 0)::bigint AS bank,
                  COALESCE((SELECT sum(total_fen) FROM settlement_statement WHERE merchant_id = m.id AND status = 'paid'), 0)::bigint AS paid
             FROM merchant m WHERE m.id = ANY($1)`,
          [mids],
        )) as { id: number; owed: number; bank: number; paid: number }[];
        for (const m of perMerchant) {
          expect(m.owed + (liveByMerchant.get(m.id) ?? 0)).toBe(0);
          expect(m.bank + m.paid).toBe(0);
        }

        // Report aggregates kept incrementally equal a rebuild from the base tables.
        const totals = async () =>
          (await api.dataSource.query(
            `SELECT COALESCE(sum(discount_fen - reversed_discount_fen), 0)::bigint AS redeemed,
                    COALESCE(sum(net_order_fen), 0)::bigint AS driven,
                    COALESCE(sum(redemption_count - reversed_count), 0)::bigint AS live
               FROM rpt_redemption_merchant_daily WHERE merchant_id = ANY($1)`,
            [mids],
          )) as unknown[];
        const incremental = await totals();
        await api.get(ReportAggregatesService).rebuild();
        expect(await totals()).toEqual(incremental);
        expect(incremental).toEqual([
          {
            redeemed: live.reduce((sum, r) => sum + r.discountFen, 0),
            driven: live.reduce((sum, r) => sum + nets.get(r.id)!, 0),
            live: live.length,
          },
        ]);
      }),
      { numRuns: Number(process.env.JINLI_MODEL_RUNS ?? 12), endOnFailure: true },
    );
  });
});
