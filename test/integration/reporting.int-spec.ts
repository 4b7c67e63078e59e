import ExcelJS from 'exceljs';
import { CampaignService } from '@jinli/issuing';
import { LeverageReportService, ReportAggregatesService } from '@jinli/reporting';
import { OutboxProcessor } from '@jinli/settlement';
import { Factories, SettlementFactories, TestApi, uniq } from '@jinli/testing';

const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);
const AGGREGATES = [
  'rpt_redemption_hourly',
  'rpt_redemption_merchant_daily',
  'rpt_funder_hourly',
  'rpt_funder_merchant_daily',
  'rpt_claim_hourly',
];

describe('leverage reports', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  let financeToken: string;

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2020-07-04', '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
    financeToken = (await sf.finance()).token;
  });
  afterAll(() => api.close());

  /** The aggregate rows of some campaigns (other files share the database, some without outbox rows). */
  async function snapshot(campaignIds: number[]): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const t of AGGREGATES) {
      const rows = (await api.dataSource.query(`SELECT * FROM ${t} WHERE campaign_id = ANY($1)`, [
        campaignIds,
      ])) as Record<string, unknown>[];
      // Zero rows are what taking back leaves behind; they change no figure.
      out[t] = rows
        .filter((r) => Object.entries(r).some(([k, v]) => /(_count|_fen)$/.test(k) && Number(v) !== 0))
        .map((r) => JSON.stringify(r))
        .sort();
    }
    return out;
  }

  async function xlsxOf(url: string, token: string): Promise<{ status: number; book: ExcelJS.Workbook }> {
    const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const book = new ExcelJS.Workbook();
    if (res.statusCode === 200) await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    return { status: res.statusCode, book };
  }

  it('reports Suzhou-like totals with the leverage the domain brief defines, on both bases', async () => {
    api.clock.set(at('2020-07-04', '09:00'));
    const city = await f.funder({ budgetFen: 20_000_000_000 });
    const district = await f.funder({ budgetFen: 10_000_000_000, kind: 'district' });
    const campaigns = api.get(CampaignService);
    const draft = await campaigns.create(f.operator, {
      name: uniq('乐享美食季'),
      startsAt: at('2020-07-04', '00:00'),
      endsAt: at('2020-09-04', '00:00'),
      budgetFen: 12_800_000_000,
      funders: [
        { funderId: city.id, shareBp: 7000 },
        { funderId: district.id, shareBp: 3000 },
      ],
    });
    const campaign = await campaigns.transition(f.operator, draft.id, 'publish');
    // 128 vouchers of 1 million yuan: 128 million yuan issued.
    const batch = await f.batch({
      campaignId: campaign.id,
      faceValueFen: 100_000_000,
      thresholdFen: 1_000_000_000,
      quota: 128,
      rounds: [{ opensAt: at('2020-07-04', '08:00'), quota: 128 }],
    });
    const merchants = [
      await sf.merchant({ district: 'gusu' }),
      await sf.merchant({ district: 'kunshan', category: 'retail' }),
    ];
    const vouchers: number[] = [];
    for (let i = 0; i < 128; i++) vouchers.push(await sf.voucher(batch, at('2020-07-04', '10:00')));
    // 122 orders of 12.5 million yuan, one of 13 million partly refunded down to 12.5, two fully refunded.
    const redemptions = [];
    for (let i = 0; i < 122; i++) {
      redemptions.push(
        await sf.redeem({
          batch,
          merchant: merchants[i % 2],
          voucherId: vouchers[i],
          orderAmountFen: i === 0 ? 1_300_000_000 : 1_250_000_000,
          at: at('2020-07-04', i % 3 === 0 ? '20:45' : '12:30'),
        }),
      );
    }
    await sf.refund(redemptions[0].id, { amountFen: 50_000_000, at: at('2020-07-05') });
    await sf.refund(redemptions[1].id, { at: at('2020-07-05') });
    await sf.refund(redemptions[2].id, { amountFen: 1_200_000_000, at: at('2020-07-06') });

    await api.get(OutboxProcessor).drain();
    await api.get(ReportAggregatesService).refreshClaims(true);

    const res = await api.request(
      'GET',
      `/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-31&campaignId=${campaign.id}`,
      {
        token: financeToken,
      },
    );
    expect(res.status).toBe(200);
    const t = res.body.totals;
    expect(t).toMatchObject({
      issuedFen: 12_800_000_000, // 1.28 亿元
      claimedCount: 128,
      quota: 128,
      redemptionCount: 122,
      reversedCount: 2,
      redeemedFen: 12_000_000_000,
      drivenFen: 150_000_000_000, // 15 亿元
      refundCount: 3,
      refundedFen: 50_000_000 + 1_250_000_000 + 1_200_000_000,
      leverageOnIssued: 11.7188,
      leverageOnRedeemed: 12.5,
      claimRate: 1,
      redemptionRate: 0.9375,
    });

    // Per funder: 70/30 of both the subsidy and the consumption it drove, same leverage each.
    const byFunder = await api.request(
      'GET',
      `/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-31&campaignId=${campaign.id}&groupBy=funder`,
      { token: financeToken },
    );
    expect(byFunder.status).toBe(200);
    const rows = byFunder.body.rows as {
      key: string;
      redeemedFen: number;
      drivenFen: number;
      issuedFen: number;
      leverageOnIssued: number;
    }[];
    expect(rows.map((r) => r.key)).toEqual([String(city.id), String(district.id)]);
    expect(rows.map((r) => r.redeemedFen)).toEqual([8_400_000_000, 3_600_000_000]);
    expect(rows.map((r) => r.drivenFen)).toEqual([105_000_000_000, 45_000_000_000]);
    expect(rows.map((r) => r.issuedFen)).toEqual([8_960_000_000, 3_840_000_000]);
    expect(rows.every((r) => r.leverageOnIssued === 11.7188)).toBe(true);

    // By hour: the night economy's evening share.
    const byHour = await api.get(LeverageReportService).report({
      fromDay: '2020-07-04',
      toDay: '2020-07-04',
      groupBy: 'hour',
      campaignId: campaign.id,
    });
    const evening = byHour.rows.find((r) => r.key === '20');
    expect(evening?.label).toBe('20:00-21:00');
    expect(byHour.rows.reduce((s, r) => s + r.drivenFen, 0)).toBe(150_000_000_000);
    expect(evening?.shareOfDriven).toBeGreaterThan(0.3);

    // By district: claims cannot be attributed to where vouchers are used.
    const byDistrict = await api.get(LeverageReportService).report({
      fromDay: '2020-07-01',
      toDay: '2020-07-31',
      groupBy: 'district',
      campaignId: campaign.id,
    });
    expect(byDistrict.rows.map((r) => r.key).sort()).toEqual(['gusu', 'kunshan']);
    expect(byDistrict.rows.every((r) => r.issuedFen === null && r.leverageOnIssued === null)).toBe(true);
    expect(byDistrict.rows.find((r) => r.key === 'gusu')?.label).toBe('姑苏区');

    // The workbook opens and holds the same totals as the API.
    const { status, book } = await xlsxOf(
      `/api/v1/reports/leverage.xlsx?fromDay=2020-07-01&toDay=2020-07-31&campaignId=${campaign.id}&groupBy=merchant`,
      financeToken,
    );
    expect(status).toBe(200);
    const ws = book.getWorksheet('撬动效应')!;
    expect(String(ws.getCell(1, 1).value)).toContain('撬动效应');
    const headers = (ws.getRow(4).values as unknown[]).slice(1).map(String);
    let totalsRow = 0;
    ws.eachRow((row, n) => {
      if (row.getCell(1).value === '合计') totalsRow = n;
    });
    const cell = (header: string) => Number(ws.getRow(totalsRow).getCell(headers.indexOf(header) + 1).value);
    const api2 = await api.request(
      'GET',
      `/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-31&campaignId=${campaign.id}&groupBy=merchant`,
      { token: financeToken },
    );
    expect(Math.round(cell('拉动消费（元）') * 100)).toBe(api2.body.totals.drivenFen);
    expect(Math.round(cell('核销金额（元）') * 100)).toBe(api2.body.totals.redeemedFen);
    expect(Math.round(cell('退款金额（元）') * 100)).toBe(api2.body.totals.refundedFen);
    expect(cell('核销笔数')).toBe(120);
    expect(cell('撬动比（核销口径）')).toBe(12.5);
    const rowsInBook: number[] = [];
    ws.eachRow((row, n) => {
      if (n > 4 && n < totalsRow)
        rowsInBook.push(Math.round(Number(row.getCell(headers.indexOf('拉动消费（元）') + 1).value) * 100));
    });
    expect(rowsInBook.reduce((a, b) => a + b, 0)).toBe(150_000_000_000);
    let definitions = false;
    ws.eachRow((row) => {
      if (row.getCell(1).value === '指标说明') definitions = true;
    });
    expect(definitions).toBe(true);
  });

  it('keeps incremental aggregates equal to a rebuild, even with events not yet applied', async () => {
    api.clock.set(at('2020-08-01', '09:00'));
    const batch = await f.batch({ faceValueFen: 1000, thresholdFen: 3000 });
    const m = await sf.merchant({ district: 'wujiang', category: 'auto' });
    const rs = [];
    for (let i = 0; i < 6; i++)
      rs.push(
        await sf.redeem({
          batch,
          merchant: m,
          orderAmountFen: 3001 + i * 777,
          at: at('2020-08-01', `0${i}:15`),
        }),
      );
    await sf.refund(rs[0].id, { amountFen: 1 }); // kept
    await sf.refund(rs[1].id); // reversed
    await sf.refund(rs[2].id, { amountFen: 2000 }); // below threshold: reversed
    await api.get(OutboxProcessor).drain();
    const aggregates = api.get(ReportAggregatesService);
    await aggregates.refreshClaims(true);
    const incremental = await snapshot([batch.campaignId]);
    await aggregates.rebuild();
    expect(await snapshot([batch.campaignId])).toEqual(incremental);

    // Events written but not applied when the rebuild runs are applied once, after it.
    await sf.refund(rs[3].id, { amountFen: 5 });
    await sf.redeem({ batch, merchant: m, orderAmountFen: 9999 });
    await sf.refund(rs[4].id);
    await aggregates.rebuild();
    await api.get(OutboxProcessor).drain();
    const afterDrain = await snapshot([batch.campaignId]);
    await aggregates.rebuild();
    expect(await snapshot([batch.campaignId])).toEqual(afterDrain);
  });

  it('refuses bad ranges and roles', async () => {
    financeToken = (await sf.finance()).token;
    const bad = await api.request('GET', '/api/v1/reports/leverage?fromDay=2020-07-31&toDay=2020-07-01', {
      token: financeToken,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('REPORT_RANGE_INVALID');
    const invalid = await api.request('GET', '/api/v1/reports/leverage?fromDay=2020-02-30&toDay=2020-07-01', {
      token: financeToken,
    });
    expect(invalid.status).toBe(400);
    const { merchant, owner } = await f.merchant();
    void merchant;
    const denied = await api.request('GET', '/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-31', {
      token: f.token(owner),
    });
    expect(denied.status).toBe(403);
    const auditor = await sf.staff('auditor');
    const ok = await api.request(
      'GET',
      '/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-31&groupBy=day',
      {
        token: auditor.token,
      },
    );
    expect(ok.status).toBe(200);
  });
});
