import { Inject, Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { APP_CONFIG, AppConfig, Fen, zonedParts } from '@jinli/platform';
import { LeverageReport, ReportFigures, ReportGroup } from './leverage-report.service';

const GROUP_TITLES: Record<ReportGroup, string> = {
  total: '合计',
  campaign: '活动',
  batch: '券种',
  funder: '出资方',
  district: '区县',
  category: '行业',
  merchant: '商户',
  day: '日期',
  hour: '时段',
};

type Column = {
  header: string;
  width: number;
  value: (f: ReportFigures) => number | null;
  kind: 'yuan' | 'count' | 'ratio' | 'percent';
};

/** Yuan for a spreadsheet cell: the display edge, from integer fen. */
const yuan = (fen: Fen | null) => (fen === null ? null : fen / 100);

const COLUMNS: Column[] = [
  { header: '发放金额（元）', width: 16, value: (f) => yuan(f.issuedFen), kind: 'yuan' },
  { header: '领取张数', width: 12, value: (f) => f.claimedCount, kind: 'count' },
  { header: '核销笔数', width: 12, value: (f) => f.redemptionCount - f.reversedCount, kind: 'count' },
  { header: '核销金额（元）', width: 16, value: (f) => yuan(f.redeemedFen), kind: 'yuan' },
  { header: '拉动消费（元）', width: 18, value: (f) => yuan(f.drivenFen), kind: 'yuan' },
  { header: '撬动比（核销口径）', width: 14, value: (f) => f.leverageOnRedeemed, kind: 'ratio' },
  { header: '撬动比（发放口径）', width: 14, value: (f) => f.leverageOnIssued, kind: 'ratio' },
  { header: '领取率', width: 10, value: (f) => f.claimRate, kind: 'percent' },
  { header: '核销率', width: 10, value: (f) => f.redemptionRate, kind: 'percent' },
  { header: '退款笔数', width: 10, value: (f) => f.refundCount, kind: 'count' },
  { header: '退款金额（元）', width: 14, value: (f) => yuan(f.refundedFen), kind: 'yuan' },
  { header: '撤销核销笔数', width: 12, value: (f) => f.reversedCount, kind: 'count' },
  { header: '消费占比', width: 10, value: (f) => f.shareOfDriven, kind: 'percent' },
];

const FORMATS: Record<Column['kind'], string> = {
  yuan: '#,##0.00',
  count: '#,##0',
  ratio: '0.00"倍"',
  percent: '0.00%',
};

/** What each figure means, as the bureau sends it up (user-facing: Simplified Chinese). */
export const REPORT_DEFINITIONS: [string, string][] = [
  [
    '发放金额',
    '统计区间内被领取的消费券面值之和（按领取时间计）。按出资方统计时，按各出资方在活动中的出资比例分摊。',
  ],
  ['核销金额', '统计区间内核销的消费券优惠（财政补贴）金额，扣除已撤销（退货冲销）的部分。'],
  [
    '拉动消费',
    '统计区间内核销订单的订单金额（含消费券抵扣部分）之和，扣除退款；整单撤销的订单不计。按出资方统计时，按补贴比例分摊。',
  ],
  ['撬动比（核销口径）', '拉动消费 ÷ 核销金额：每一元补贴带动的消费。'],
  ['撬动比（发放口径）', '拉动消费 ÷ 发放金额，即“发放消费券X亿元，撬动消费Y亿元”的口径。'],
  ['领取率', '领取张数 ÷ 区间内在发活动的券种发放总量。'],
  ['核销率', '有效核销笔数 ÷ 领取张数。'],
  ['退款', '核销订单发生的退款笔数与金额（含整单撤销与部分退款），计入原核销日期。'],
  [
    '口径说明',
    '核销、拉动消费与退款均按核销发生的日期和时段归集；按区县、行业、商户统计时，发放与领取无法归属，不予列示。',
  ],
];

/** The leverage report as an XLSX workbook: title, range, table, totals, then the definitions. */
@Injectable()
export class LeverageXlsxService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async build(report: LeverageReport): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    wb.creator = 'Jinli';
    const ws = wb.addWorksheet('撬动效应');
    const width = COLUMNS.length + 1;
    const title = `消费券发放与撬动效应统计表（按${GROUP_TITLES[report.groupBy]}）`;
    ws.mergeCells(1, 1, 1, width);
    ws.getCell(1, 1).value = title;
    ws.getCell(1, 1).font = { bold: true, size: 16 };
    ws.getCell(1, 1).alignment = { horizontal: 'center' };
    ws.mergeCells(2, 1, 2, width);
    const p = zonedParts(report.asOf.generatedAt, this.config.businessTimeZone);
    const generated = `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
    ws.getCell(2, 1).value =
      `统计区间：${report.fromDay} 至 ${report.toDay}；生成时间：${generated}；金额单位：元`;

    const header = ws.getRow(4);
    header.values = [GROUP_TITLES[report.groupBy], ...COLUMNS.map((c) => c.header)];
    header.font = { bold: true };
    ws.getColumn(1).width = 28;
    COLUMNS.forEach((c, i) => {
      ws.getColumn(i + 2).width = c.width;
      ws.getColumn(i + 2).numFmt = FORMATS[c.kind];
    });
    let r = 5;
    for (const row of report.rows) ws.getRow(r++).values = [row.label, ...COLUMNS.map((c) => c.value(row))];
    const totals = ws.getRow(r);
    totals.values = ['合计', ...COLUMNS.map((c) => c.value(report.totals))];
    totals.font = { bold: true };
    r += 2;
    ws.getCell(r++, 1).value = '指标说明';
    ws.getCell(r - 1, 1).font = { bold: true };
    for (const [term, text] of REPORT_DEFINITIONS) {
      ws.getCell(r, 1).value = term;
      ws.mergeCells(r, 2, r, width);
      ws.getCell(r, 2).value = text;
      ws.getCell(r, 2).alignment = { wrapText: true, vertical: 'top' };
      r++;
    }
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
