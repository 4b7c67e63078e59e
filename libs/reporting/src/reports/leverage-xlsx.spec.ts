import ExcelJS from 'exceljs';
import { AppConfig } from '@jinli/platform';
import { ReportFigures } from './leverage-report.service';
import { LeverageXlsxService } from './leverage-xlsx.service';

const figures: ReportFigures = {
  issuedFen: 100_000,
  claimedCount: 10,
  quota: 10,
  redemptionCount: 1,
  reversedCount: 0,
  grossDiscountFen: 3_000,
  reversedFen: 0,
  redeemedFen: 3_000,
  drivenFen: 12_000,
  refundCount: 0,
  refundedFen: 0,
  leverageOnRedeemed: 4,
  leverageOnIssued: 0.12,
  claimRate: 1,
  redemptionRate: 0.1,
  shareOfDriven: 1,
};

describe('LeverageXlsxService', () => {
  it('defines 拉动消费 as the order amounts including the voucher discount, net of refunds', async () => {
    const sut = new LeverageXlsxService({ businessTimeZone: 'Asia/Shanghai' } as AppConfig);
    const buffer = await sut.build({
      fromDay: '2020-07-01',
      toDay: '2020-07-31',
      groupBy: 'total',
      filters: {},
      rows: [{ ...figures, key: 'total', label: '合计' }],
      totals: figures,
      asOf: { generatedAt: new Date('2020-08-01T00:00:00Z'), outboxPending: 0, claimsRefreshedAt: null },
    });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(buffer as unknown as ArrayBuffer);
    const ws = book.getWorksheet('撬动效应')!;
    const definitions = new Map<string, string>();
    let inDefinitions = false;
    ws.eachRow((row) => {
      const term = String(row.getCell(1).value);
      if (term === '指标说明') inDefinitions = true;
      else if (inDefinitions) definitions.set(term, String(row.getCell(2).value));
    });
    // The figure is order_amount_fen net of refunds (domain.md; the console caption 核销订单金额，扣除退款),
    // not what the citizen paid after the voucher.
    const driven = definitions.get('拉动消费');
    expect(driven).toContain('订单金额（含消费券抵扣部分）');
    expect(driven).toContain('扣除退款');
    expect(driven).not.toContain('实付');
  });
});
