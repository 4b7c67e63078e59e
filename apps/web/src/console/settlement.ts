import { dateTime } from '../shared/format';
import { formatFen } from '../shared/money';

/**
 * The settlement console's shapes (mirrors of libs/settlement's views; money in integer fen, times
 * as ISO strings) and the sentences finance reads about them. Pure, so they are unit-tested.
 */

export interface Run {
  id: number;
  kind: 'daily' | 'manual';
  fromDay: string;
  toDay: string;
  status: 'running' | 'completed' | 'failed';
  startedBy: number | null;
  chunkCount: number;
  chunksDone: number;
  statementCount: number;
  lineCount: number;
  deferredCount: number;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface Statement {
  id: number;
  runId: number;
  merchantId: number;
  merchantName: string;
  funderId: number;
  funderName: string;
  businessDay: string;
  status: string;
  totalFen: number;
  lineCount: number;
  reason: string | null;
  startedBy: number | null;
  reviewedBy: number | null;
  payoutId: number | null;
  /** Live part lines whose redemption was reversed by a refund since it was settled, and their amount. */
  reversedPartCount: number;
  reversedPartFen: number;
}

export interface Line {
  id: number;
  kind: 'part' | 'reversal';
  amountFen: number;
  /** The line went back to the pool (its statement was rejected or released). */
  released: boolean;
  redemptionId: number;
  orderAmountFen: number;
  redeemedAt: string;
  refundedAt: string | null;
  /** The redemption's status now: a part may have been refunded since it was settled. */
  redemptionStatus: 'active' | 'reversed';
  reversedSince: string | null;
  reversingRefundId: number | null;
}

export type PayoutStatus = 'exported' | 'paid' | 'cancelled';

export interface Payout {
  id: number;
  status: PayoutStatus;
  funderId: number | null;
  totalFen: number;
  statementCount: number;
  createdBy: number;
  createdAt: string;
  paidAt: string | null;
  paidBy: number | null;
  bankReference: string | null;
  /** What the bank paid (total less failed transfers); null until paid. */
  paidFen: number | null;
  failedFen: number;
  failedRowCount: number;
  cancelledAt: string | null;
  cancelledBy: number | null;
  cancelReason: string | null;
  /** First download of the bank file (CSV or Excel) and how many there were: it may be at the bank. */
  fileDownloadedAt: string | null;
  fileDownloadCount: number;
}

export interface CarriedOver {
  funderId: number;
  merchantId: number;
  netFen: number;
  statementIds: number[];
}

export interface CreatedPayout extends Payout {
  statementIds: number[];
  /** Approved statements of the same funders and merchants taken though not selected (claw-backs). */
  addedStatementIds: number[];
  /** Funders and merchants whose approved statements net below zero: left out, carried over. */
  carriedOver: CarriedOver[];
}

/** One transfer of a payout (GET /settlement/payouts/:id/rows): the account number arrives masked. */
export interface PayoutRow {
  funderId: number;
  funderName: string;
  merchantId: number;
  merchantName: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNo: string;
  amountFen: number;
  statementIds: number[];
  status: 'exported' | 'paid' | 'failed';
  failureReason: string | null;
}

export interface Clawback {
  funderId: number;
  funderName: string;
  merchantId: number;
  merchantName: string;
  netFen: number;
  statementIds: number[];
  since: string;
  ageDays: number;
}

export interface AuditCheck {
  name: string;
  description: string;
  severity: 'violation' | 'warning';
  ok: boolean;
  problems: string[];
}

export interface PageOf<T> {
  items: T[];
  total: number;
}

/** A statement the reviewer can still approve, hold or reject (and the run's starter cannot). */
export const REVIEWABLE = ['pending_review', 'held'];

/** Approved and in no payout: what a payout can take. */
export function payable(s: Statement): boolean {
  return s.status === 'approved' && s.payoutId === null;
}

export function payoutStatusText(p: Payout): string {
  switch (p.status) {
    case 'exported':
      return '已导出，待打款';
    case 'paid':
      return p.failedRowCount > 0 ? `已打款（${p.failedRowCount} 笔失败）` : '已打款';
    case 'cancelled':
      return '已作废';
  }
}

/** Only an exported payout can still be marked paid or cancelled; a paid or cancelled one is final. */
export function isOpen(p: Payout): boolean {
  return p.status === 'exported';
}

/**
 * Why this user may not mark an open payout paid, or null when they may. Four eyes: whoever created
 * (exported) the payout does not confirm the bank paid it; the API refuses it too (PAYOUT_FOUR_EYES).
 */
export function markPaidBlock(p: Payout, meId: number): string | null {
  return p.createdBy === meId ? '需另一位财务确认打款' : null;
}

/** A cancelled payout has no bank file: it must never reach the bank. */
export function hasBankFile(p: Payout): boolean {
  return p.status !== 'cancelled';
}

/** Whether and when the bank file was downloaded, or null if never. */
export function downloadedText(p: Pick<Payout, 'fileDownloadCount' | 'fileDownloadedAt'>): string | null {
  if (!p.fileDownloadCount) return null;
  return `文件已下载 ${p.fileDownloadCount} 次，首次 ${dateTime(p.fileDownloadedAt)}`;
}

export const CANCEL_DOWNLOADED_WARNING =
  '文件可能已提交银行：作废后其结算单会进入下一个打款批次，如银行已收到此文件，商户将被重复打款。请先与银行核实。';

/**
 * The body of "cancel": the reason (at least 2 characters) and, once the bank file was
 * downloaded, the reviewer's word that the bank did not receive it (else PAYOUT_FILE_DOWNLOADED).
 */
export function cancelBody(
  p: Pick<Payout, 'fileDownloadCount'>,
  reason: string,
  bankDidNotReceive: boolean,
): { ok: true; body: { reason: string; bankDidNotReceive?: true } } | { ok: false; reason: string } {
  const why = reason.trim();
  if (why.length < 2) return { ok: false, reason: '请填写作废原因（至少 2 个字）' };
  if (!p.fileDownloadCount) return { ok: true, body: { reason: why } };
  if (!bankDidNotReceive) return { ok: false, reason: '付款文件已下载：请先确认银行未收到此文件，再作废' };
  return { ok: true, body: { reason: why, bankDidNotReceive: true } };
}

/** What the notice says after a payout is created: the total, claw-backs taken along, carried-over merchants. */
export function payoutCreatedSummary(p: CreatedPayout): string[] {
  const lines = [`已生成打款批次 #${p.id}：${formatFen(p.totalFen)}（${p.statementCount} 张结算单）`];
  if (p.addedStatementIds.length)
    lines.push(
      `另含 ${p.addedStatementIds.length} 张同商户结算单（含追回）：${p.addedStatementIds.map((id) => `#${id}`).join('、')}`,
    );
  if (p.carriedOver.length) lines.push(carriedOverSentence(p.carriedOver));
  return lines;
}

export function carriedOverSentence(c: CarriedOver[]): string {
  const merchants = new Set(c.map((x) => x.merchantId)).size;
  const fen = c.reduce((sum, x) => sum + x.netFen, 0);
  return `${merchants} 个商户净额为负，已结转（共 ${formatFen(fen)}，待其后续结算单抵扣，见「待追回」）`;
}

/** The statement's refunded parts (since it was settled), or null: hold it rather than pay and claw back. */
export function reversedBadge(s: Pick<Statement, 'reversedPartCount' | 'reversedPartFen'>): string | null {
  if (!s.reversedPartCount) return null;
  return `${s.reversedPartCount} 笔已退款（${formatFen(s.reversedPartFen)}）`;
}

export const REVERSED_HINT =
  '批准后将在下一张结算单追回；如不想先付后追，可先挂起再释放（已退款的部分不再结算）';

/** How a line of a statement reads: its kind, and whether its redemption was refunded since. */
export function lineKindText(l: Line): string {
  return l.kind === 'part' ? '核销补贴' : '退款追回';
}

export function lineNote(l: Line): string | null {
  const notes: string[] = [];
  if (l.kind === 'part' && l.redemptionStatus === 'reversed')
    notes.push(`已退款撤销（自 ${dateTime(l.reversedSince)}）`);
  if (l.released) notes.push('已退回待结算');
  return notes.length ? notes.join('；') : null;
}

export const ROW_STATUS: Record<PayoutRow['status'], string> = {
  exported: '待打款',
  paid: '已打款',
  failed: '失败',
};

export interface FailedTick {
  failed: boolean;
  reason: string;
}

const rowKey = (r: { funderId: number; merchantId: number }) => `${r.funderId}:${r.merchantId}`;

/**
 * The body of "mark paid": the bank's reference and the transfers it returned, each with a reason
 * (2-500 characters, as the API wants). Refuses, in words, what the API would refuse.
 */
export function markPaidBody(
  bankReference: string,
  rows: PayoutRow[],
  ticks: Record<string, FailedTick>,
):
  | {
      ok: true;
      body: {
        bankReference: string;
        failedRows?: { funderId: number; merchantId: number; reason: string }[];
      };
    }
  | { ok: false; reason: string } {
  const ref = bankReference.trim();
  if (ref.length < 3 || ref.length > 100) return { ok: false, reason: '请填写银行流水号（3-100 个字符）' };
  const failed = rows.filter((r) => r.status === 'exported' && ticks[rowKey(r)]?.failed);
  const missing = failed.filter((r) => (ticks[rowKey(r)]?.reason.trim().length ?? 0) < 2);
  if (missing.length)
    return {
      ok: false,
      reason: `请填写退回原因：${missing.map((r) => r.merchantName).join('、')}`,
    };
  const body = { bankReference: ref } as {
    bankReference: string;
    failedRows?: { funderId: number; merchantId: number; reason: string }[];
  };
  if (failed.length)
    body.failedRows = failed.map((r) => ({
      funderId: r.funderId,
      merchantId: r.merchantId,
      reason: ticks[rowKey(r)].reason.trim(),
    }));
  return { ok: true, body };
}

export { rowKey };

/** Paid and failed amounts of a paid payout, as the payouts list shows them. */
export function paidSummary(p: Payout): string | null {
  if (p.status !== 'paid') return null;
  const paid = `已付 ${formatFen(p.paidFen ?? p.totalFen)}`;
  return p.failedFen > 0 ? `${paid}，失败 ${formatFen(p.failedFen)}` : paid;
}

/** Titles of the settlement checks (libs/settlement SETTLEMENT_AUDIT_CHECKS) for finance and auditors. */
export const AUDIT_CHECK_TITLE: Record<string, string> = {
  'settlement.ledger_balanced': '账簿借贷平衡',
  'settlement.ledger_matches_statements': '账簿与结算单一致',
  'settlement.statement_totals_match_lines': '结算单金额与明细一致',
  'settlement.parts_settled_once': '每笔补贴只结算一次',
  'settlement.reversals_exactly_once': '每笔退款追回恰好一次',
  'settlement.budgets_consistent': '出资方预算占用一致',
  'settlement.pool_parts_settled_by_daily_run': '待结算补贴已由每日结算处理',
  'settlement.payouts_match_statements': '打款批次与结算单一致',
  'settlement.outstanding_clawbacks': '待追回款项',
};

export type CheckState = { kind: 'ok' | 'warning' | 'violation'; label: string };

/** A warning (e.g. claw-backs outstanding) is something to look at, not a broken invariant. */
export function auditCheckState(c: AuditCheck): CheckState {
  if (c.ok) return { kind: 'ok', label: '通过' };
  if (c.severity === 'warning') return { kind: 'warning', label: `提醒（${c.problems.length} 项）` };
  return { kind: 'violation', label: `不一致（${c.problems.length} 项）` };
}

/** The summary line of an audit: failures only count violations. */
export function auditSummary(checks: AuditCheck[]): string {
  const violations = checks.filter((c) => auditCheckState(c).kind === 'violation').length;
  const warnings = checks.filter((c) => auditCheckState(c).kind === 'warning').length;
  const head = violations ? `${violations} 项不一致，请立即核查` : `${checks.length} 项核查均未发现账务错误`;
  return warnings ? `${head}；${warnings} 项提醒需关注` : head;
}

/**
 * Which watched settlement runs are done, given the latest list of runs. `watching` holds the runs
 * seen running or just started; it is updated in place. A run that finished before the list was
 * read (a fast run, a slow page) is done too, so its statements are shown rather than missed.
 */
export function finishedRuns(watching: Set<number>, runs: Pick<Run, 'id' | 'status'>[]) {
  const running = new Set(runs.filter((r) => r.status === 'running').map((r) => r.id));
  const finished = [...watching].filter((id) => !running.has(id));
  for (const id of finished) watching.delete(id);
  for (const id of running) watching.add(id);
  return { finished, running: running.size > 0 };
}
