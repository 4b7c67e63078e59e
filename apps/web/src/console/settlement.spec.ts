import { describeError } from '../shared/errors';
import {
  auditCheckState,
  auditSummary,
  cancelBody,
  downloadedText,
  finishedRuns,
  hasBankFile,
  isOpen,
  lineNote,
  markPaidBlock,
  markPaidBody,
  paidSummary,
  payable,
  payoutCreatedSummary,
  payoutStatusText,
  reversedBadge,
  rowKey,
  type AuditCheck,
  type CreatedPayout,
  type Line,
  type Payout,
  type PayoutRow,
  type Statement,
} from './settlement';

const payout: Payout = {
  id: 12,
  status: 'exported',
  funderId: null,
  totalFen: 6000,
  statementCount: 3,
  createdBy: 7,
  createdAt: '2020-07-05T02:00:00.000Z',
  paidAt: null,
  paidBy: null,
  bankReference: null,
  paidFen: null,
  failedFen: 0,
  failedRowCount: 0,
  cancelledAt: null,
  cancelledBy: null,
  cancelReason: null,
  fileDownloadedAt: null,
  fileDownloadCount: 0,
};

const row = (merchantId: number, amountFen: number): PayoutRow => ({
  funderId: 1,
  funderName: '苏州市财政局',
  merchantId,
  merchantName: `商户${merchantId}`,
  bankAccountName: `商户${merchantId}有限公司`,
  bankName: '苏州银行',
  bankAccountNo: '****0123',
  amountFen,
  statementIds: [merchantId * 10],
  status: 'exported',
  failureReason: null,
});

describe('the settlement console in words finance reads', () => {
  it('names a payout by its state: exported, paid (with failed transfers), cancelled', () => {
    expect(payoutStatusText(payout)).toBe('已导出，待打款');
    expect(payoutStatusText({ ...payout, status: 'paid', paidFen: 6000 })).toBe('已打款');
    expect(payoutStatusText({ ...payout, status: 'paid', failedRowCount: 1 })).toBe('已打款（1 笔失败）');
    expect(payoutStatusText({ ...payout, status: 'cancelled' })).toBe('已作废');
    expect(paidSummary(payout)).toBeNull();
    expect(paidSummary({ ...payout, status: 'paid', paidFen: 3000, failedFen: 3000 })).toBe(
      '已付 ¥30.00，失败 ¥30.00',
    );
    expect(paidSummary({ ...payout, status: 'paid', paidFen: 6000 })).toBe('已付 ¥60.00');
  });

  it('four eyes: the payout’s creator cannot mark it paid; a cancelled payout has no file', () => {
    expect(markPaidBlock(payout, 7)).toBe('需另一位财务确认打款');
    expect(markPaidBlock(payout, 8)).toBeNull();
    expect(isOpen(payout)).toBe(true);
    expect(isOpen({ ...payout, status: 'paid' })).toBe(false);
    expect(isOpen({ ...payout, status: 'cancelled' })).toBe(false);
    expect(hasBankFile({ ...payout, status: 'cancelled' })).toBe(false);
    expect(hasBankFile({ ...payout, status: 'paid' })).toBe(true);
  });

  it('tells what a new payout took along and what it carried over', () => {
    const created: CreatedPayout = {
      ...payout,
      statementIds: [3, 4, 5],
      addedStatementIds: [4, 5],
      carriedOver: [
        { funderId: 1, merchantId: 9, netFen: -3000, statementIds: [6] },
        { funderId: 2, merchantId: 9, netFen: -500, statementIds: [7] },
        { funderId: 1, merchantId: 10, netFen: -1000, statementIds: [8] },
      ],
    };
    expect(payoutCreatedSummary(created)).toEqual([
      '已生成打款批次 #12：¥60.00（3 张结算单）',
      '另含 2 张同商户结算单（含追回）：#4、#5',
      '2 个商户净额为负，已结转（共 -¥45.00，待其后续结算单抵扣，见「待追回」）',
    ]);
    expect(payoutCreatedSummary({ ...created, addedStatementIds: [], carriedOver: [] })).toEqual([
      '已生成打款批次 #12：¥60.00（3 张结算单）',
    ]);
  });

  it('builds the mark-paid body: failed rows need a reason; unticked rows are paid', () => {
    const rows = [row(3, 3000), row(4, 3000)];
    expect(markPaidBody(' ', rows, {})).toEqual({ ok: false, reason: '请填写银行流水号（3-100 个字符）' });
    expect(markPaidBody('ICBC-1', rows, {})).toEqual({ ok: true, body: { bankReference: 'ICBC-1' } });
    const ticks = {
      [rowKey(rows[0])]: { failed: false, reason: 'ignored' },
      [rowKey(rows[1])]: { failed: true, reason: ' ' },
    };
    expect(markPaidBody('ICBC-1', rows, ticks)).toEqual({ ok: false, reason: '请填写退回原因：商户4' });
    ticks[rowKey(rows[1])].reason = ' 账户已销户 ';
    expect(markPaidBody(' ICBC-1 ', rows, ticks)).toEqual({
      ok: true,
      body: { bankReference: 'ICBC-1', failedRows: [{ funderId: 1, merchantId: 4, reason: '账户已销户' }] },
    });
  });

  it('says when the bank file was downloaded; cancelling a downloaded payout needs the bank’s non-receipt confirmed', () => {
    const downloaded = { ...payout, fileDownloadCount: 2, fileDownloadedAt: '2020-07-05T02:30:00.000Z' };
    expect(downloadedText(payout)).toBeNull();
    expect(downloadedText(downloaded)).toBe('文件已下载 2 次，首次 2020-07-05 10:30');
    expect(cancelBody(payout, ' x ', false)).toEqual({ ok: false, reason: '请填写作废原因（至少 2 个字）' });
    expect(cancelBody(payout, ' 金额有误 ', false)).toEqual({ ok: true, body: { reason: '金额有误' } });
    expect(cancelBody(downloaded, '金额有误', false)).toEqual({
      ok: false,
      reason: '付款文件已下载：请先确认银行未收到此文件，再作废',
    });
    expect(cancelBody(downloaded, '金额有误', true)).toEqual({
      ok: true,
      body: { reason: '金额有误', bankDidNotReceive: true },
    });
  });

  it('badges statements whose parts were refunded since settlement, and says so on the line', () => {
    expect(reversedBadge({ reversedPartCount: 0, reversedPartFen: 0 })).toBeNull();
    expect(reversedBadge({ reversedPartCount: 2, reversedPartFen: 4500 })).toBe('2 笔已退款（¥45.00）');
    const line: Line = {
      id: 1,
      kind: 'part',
      amountFen: 3000,
      released: false,
      redemptionId: 5,
      orderAmountFen: 12850,
      redeemedAt: '2020-07-04T04:00:00.000Z',
      refundedAt: null,
      redemptionStatus: 'active',
      reversedSince: null,
      reversingRefundId: null,
    };
    expect(lineNote(line)).toBeNull();
    expect(
      lineNote({
        ...line,
        redemptionStatus: 'reversed',
        reversedSince: '2020-07-05T01:30:00.000Z',
        reversingRefundId: 9,
      }),
    ).toBe('已退款撤销（自 2020-07-05 09:30）');
    // A reversal line is the claw-back itself, not something refunded since.
    expect(lineNote({ ...line, kind: 'reversal', redemptionStatus: 'reversed' })).toBeNull();
    expect(lineNote({ ...line, released: true })).toBe('已退回待结算');
  });

  it('a payout takes approved statements outside any payout', () => {
    const s = { status: 'approved', payoutId: null } as Statement;
    expect(payable(s)).toBe(true);
    expect(payable({ ...s, payoutId: 3 })).toBe(false);
    expect(payable({ ...s, status: 'pending_review' })).toBe(false);
  });

  it('shows audit warnings as warnings, not failures', () => {
    const check = (over: Partial<AuditCheck>): AuditCheck => ({
      name: 'settlement.x',
      description: '',
      severity: 'violation',
      ok: true,
      problems: [],
      ...over,
    });
    const clawbacks = check({ severity: 'warning', ok: false, problems: ['a', 'b'] });
    expect(auditCheckState(check({}))).toEqual({ kind: 'ok', label: '通过' });
    expect(auditCheckState(clawbacks)).toEqual({ kind: 'warning', label: '提醒（2 项）' });
    expect(auditCheckState(check({ ok: false, problems: ['x'] }))).toEqual({
      kind: 'violation',
      label: '不一致（1 项）',
    });
    expect(auditSummary([check({}), clawbacks])).toBe('2 项核查均未发现账务错误；1 项提醒需关注');
    expect(auditSummary([check({ ok: false, problems: ['x'] }), clawbacks])).toBe(
      '1 项不一致，请立即核查；1 项提醒需关注',
    );
  });

  it('says the payout refusals in Chinese, with their details', () => {
    expect(describeError('PAYOUT_FOUR_EYES')).toBe(
      '四眼原则：生成打款批次的人不能确认已打款，请由另一位财务人员确认',
    );
    expect(describeError('PAYOUT_NOT_EXPORTED')).toBe('该打款批次已作废或已打款，不能执行此操作');
    expect(describeError('PAYOUT_ROW_NOT_FOUND')).toBe('打款批次中没有该商户的转账');
    expect(describeError('PAYOUT_FILE_DOWNLOADED')).toBe(
      '该打款批次的付款文件已下载，作废前须确认银行未收到此文件，以免重复打款',
    );
    expect(
      describeError('PAYOUT_FILE_DOWNLOADED', {
        fileDownloadCount: 1,
        fileDownloadedAt: '2020-07-05T02:30:00.000Z',
      }),
    ).toBe('付款文件已下载 1 次（首次 2020-07-05 10:30），作废前须确认银行未收到此文件，以免重复打款');
    expect(describeError('PAYOUT_ROW_NOT_FOUND', { failedRows: [{ funderId: 1, merchantId: 4 }] })).toBe(
      '打款批次中没有该商户的转账（商户 4），请刷新后重选',
    );
    expect(describeError('PAYOUT_NOTHING_TO_PAY')).toBe('没有已批准、待打款的结算单');
    expect(
      describeError('PAYOUT_NOTHING_TO_PAY', {
        carriedOver: [{ funderId: 1, merchantId: 9, netFen: -3000, statementIds: [6] }],
      }),
    ).toBe(
      '没有可打款的金额：所选的 1 个商户净额为负（退款追回多于应付），已结转，待其后续结算单抵扣（见「待追回」）',
    );
    expect(describeError('PAYOUT_NOTHING_TO_PAY', { ids: [4, 5] })).toBe(
      '结算单 #4、#5 不是已批准且未进入打款批次的结算单，请刷新后重选',
    );
  });
});

describe('finishedRuns', () => {
  it('counts a just-started run that finished before the list was read (a fast run) as done', () => {
    const watching = new Set([7]);
    expect(finishedRuns(watching, [{ id: 7, status: 'completed' }])).toEqual({
      finished: [7],
      running: false,
    });
    expect(watching.size).toBe(0);
    // Done once: the next poll does not reload again.
    expect(finishedRuns(watching, [{ id: 7, status: 'completed' }])).toEqual({
      finished: [],
      running: false,
    });
  });

  it('watches running runs until they end, failed ones included', () => {
    const watching = new Set<number>();
    expect(
      finishedRuns(watching, [
        { id: 8, status: 'running' },
        { id: 9, status: 'running' },
        { id: 3, status: 'completed' },
      ]),
    ).toEqual({ finished: [], running: true });
    expect([...watching].sort()).toEqual([8, 9]);
    expect(
      finishedRuns(watching, [
        { id: 8, status: 'failed' },
        { id: 9, status: 'running' },
      ]),
    ).toEqual({ finished: [8], running: true });
    expect(finishedRuns(watching, [{ id: 9, status: 'completed' }])).toEqual({
      finished: [9],
      running: false,
    });
  });
});
