import { Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { EntityManager } from 'typeorm';
import { PayoutStatus } from '@jinli/contracts';
import {
  Actor,
  AuditService,
  Clock,
  Fen,
  formatYuan,
  maskAccountNumber,
  TransactionRunner,
} from '@jinli/platform';
import { LedgerService } from '../ledger/ledger.service';
import { auditStatements } from '../review/statement.service';
import { SettlementException } from '../settlement.exception';
import { queryRows } from '../sql';
import { OutstandingClawback, outstandingClawbacks } from './clawbacks';

export interface PayoutView {
  id: number;
  status: PayoutStatus;
  funderId: number | null;
  /** The total of the bank file as exported. */
  totalFen: Fen;
  statementCount: number;
  createdBy: number;
  createdAt: Date;
  paidAt: Date | null;
  paidBy: number | null;
  bankReference: string | null;
  /** What the bank paid (the total less the failed transfers); null until paid. */
  paidFen: Fen | null;
  failedFen: Fen;
  failedRowCount: number;
  cancelledAt: Date | null;
  cancelledBy: number | null;
  cancelReason: string | null;
  /** First download of the bank file (CSV or XLSX), and how many there were: the file may be at the bank. */
  fileDownloadedAt: Date | null;
  fileDownloadCount: number;
}

/** A funder and merchant left out of a payout: their approved statements net below zero. */
export interface CarriedOver {
  funderId: number;
  merchantId: number;
  netFen: Fen;
  statementIds: number[];
}

export interface CreatedPayout extends PayoutView {
  statementIds: number[];
  /**
   * Approved statements that were not selected but were included anyway: a payout nets every
   * approved, unpaid statement of each funder and merchant it pays, so a claw-back is never left out.
   */
  addedStatementIds: number[];
  /** Funders and merchants of the selection whose statements net below zero: nothing of theirs is paid. */
  carriedOver: CarriedOver[];
}

/** One transfer of the bank file: what one funder pays one merchant (the full account number). */
export interface BankTransfer {
  funderId: number;
  funderName: string;
  merchantId: number;
  merchantName: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNo: string;
  amountFen: Fen;
  statementIds: number[];
}

/** A transfer as the API shows it: the account number masked, and whether it was paid or failed. */
export interface PayoutRow extends BankTransfer {
  status: 'exported' | 'paid' | 'failed';
  failureReason: string | null;
}

/** A transfer the bank could not make, recorded when the payout is marked paid. */
export interface FailedTransfer {
  funderId: number;
  merchantId: number;
  reason: string;
}

const PAYOUT_COLUMNS = `p.id, p.status, p.funder_id AS "funderId", p.total_fen AS "totalFen",
  p.statement_count AS "statementCount", p.created_by AS "createdBy", p.created_at AS "createdAt",
  p.paid_at AS "paidAt", p.paid_by AS "paidBy", p.bank_reference AS "bankReference", p.paid_fen AS "paidFen",
  (SELECT COALESCE(sum(x.amount_fen), 0)::bigint FROM payout_failed_row x WHERE x.payout_id = p.id) AS "failedFen",
  (SELECT count(*)::int FROM payout_failed_row x WHERE x.payout_id = p.id) AS "failedRowCount",
  p.cancelled_at AS "cancelledAt", p.cancelled_by AS "cancelledBy", p.cancel_reason AS "cancelReason",
  p.file_downloaded_at AS "fileDownloadedAt", p.file_download_count AS "fileDownloadCount"`;

/** Column titles of the bank file (user-facing: Simplified Chinese). */
const FILE_COLUMNS = ['付款方', '商户名称', '收款户名', '开户银行', '收款账号', '金额（元）', '结算单号'];

const pairKey = (x: { funderId: number; merchantId: number }) => `${x.funderId}:${x.merchantId}`;

/**
 * Payout batches: approved statements, netted per funder and merchant, exported for the bank (CSV
 * and XLSX), then marked paid with the bank's reference by someone other than their creator (four
 * eyes). A payout always nets EVERY approved, unpaid statement of each funder and merchant it
 * touches, whatever was selected, so a claw-back can never be skipped. A merchant whose approved
 * statements net below zero with a funder (more clawed back than owed) is carried over until later
 * statements cover it (see outstandingClawbacks); a zero net is included (its statements close) with
 * no transfer in the file. An exported payout can be cancelled, and transfers the bank could not make
 * are recorded when marking it paid: either way their statements go back to approved for the next
 * payout, and only what was paid is posted to the ledger.
 */
@Injectable()
export class PayoutService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly ledger: LedgerService,
  ) {}

  async create(
    actor: Actor,
    input: { funderId?: number; statementIds?: number[] } = {},
  ): Promise<CreatedPayout> {
    const selection = input.statementIds?.length
      ? [...new Set(input.statementIds)].sort((a, b) => a - b)
      : null;
    return this.tx.run(async (m) => {
      // The funders and merchants the selection touches...
      const chosen = await queryRows<{ funderId: number; merchantId: number }>(
        m,
        `SELECT DISTINCT funder_id AS "funderId", merchant_id AS "merchantId" FROM settlement_statement
          WHERE status = 'approved' AND payout_id IS NULL
            AND ($1::int IS NULL OR funder_id = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
        [input.funderId ?? null, selection],
      );
      // ...and every approved, unpaid statement of theirs, locked in one statement in id order.
      const candidates = chosen.length
        ? await queryRows<{ id: number; merchantId: number; funderId: number; totalFen: number }>(
            m,
            `SELECT s.id, s.merchant_id AS "merchantId", s.funder_id AS "funderId", s.total_fen AS "totalFen"
               FROM settlement_statement s
               JOIN unnest($1::int[], $2::int[]) AS x(funder_id, merchant_id)
                 ON x.funder_id = s.funder_id AND x.merchant_id = s.merchant_id
              WHERE s.status = 'approved' AND s.payout_id IS NULL
              ORDER BY s.id FOR UPDATE OF s`,
            [chosen.map((c) => c.funderId), chosen.map((c) => c.merchantId)],
          )
        : [];
      if (selection) {
        const missing = selection.filter((id) => !candidates.some((c) => c.id === id));
        if (missing.length)
          throw new SettlementException(
            'PAYOUT_NOTHING_TO_PAY',
            `Statement(s) ${missing.join(', ')} are not approved statements outside a payout`,
            { ids: missing },
          );
      }
      const groups = new Map<string, CarriedOver>();
      for (const c of candidates) {
        const g = groups.get(pairKey(c)) ?? {
          funderId: c.funderId,
          merchantId: c.merchantId,
          netFen: 0,
          statementIds: [],
        };
        g.netFen += c.totalFen;
        g.statementIds.push(c.id);
        groups.set(pairKey(c), g);
      }
      const included = [...groups.values()].filter((g) => g.netFen >= 0);
      const carriedOver = [...groups.values()].filter((g) => g.netFen < 0);
      const ids = included.flatMap((g) => g.statementIds).sort((a, b) => a - b);
      if (!ids.length)
        throw new SettlementException(
          'PAYOUT_NOTHING_TO_PAY',
          carriedOver.length
            ? 'The selected statements net below zero with their merchants (claw-backs carried over): nothing to pay'
            : 'There is no approved statement to pay',
          { carriedOver },
        );
      const addedStatementIds = selection ? ids.filter((id) => !selection.includes(id)) : [];
      const total = included.reduce((sum, g) => sum + g.netFen, 0);
      const [{ id }] = await queryRows<{ id: number }>(
        m,
        `INSERT INTO payout (status, total_fen, statement_count, created_by, created_at, funder_id)
         VALUES ('exported', $1, $2, $3, $4, $5) RETURNING id`,
        [total, ids.length, actor.id, this.clock.now(), input.funderId ?? null],
      );
      await m.query(
        `UPDATE settlement_statement SET payout_id = $1, updated_at = $3 WHERE id = ANY($2::bigint[])`,
        [id, ids, this.clock.now()],
      );
      await this.audit.record(
        {
          actor,
          action: 'payout.create',
          entityType: 'payout',
          entityId: id,
          details: {
            totalFen: total,
            statementIds: ids,
            addedStatementIds,
            carriedOver,
            funderId: input.funderId ?? null,
          },
        },
        m,
      );
      const payout = await this.read(m, id);
      return { ...payout, statementIds: ids, addedStatementIds, carriedOver };
    });
  }

  /**
   * The bank has paid: the payout and its statements become paid, and the payout journal is posted.
   * Transfers the bank could not make (`failed`, per funder and merchant) are recorded first; their
   * statements go back to approved, outside any payout, so the journal holds only what was paid.
   * Four eyes: whoever created the payout does not mark it paid (refusal audited).
   */
  async markPaid(
    actor: Actor,
    id: number,
    bankReference: string,
    failed: FailedTransfer[] = [],
  ): Promise<PayoutView> {
    const before = await this.get(id);
    if (before.createdBy === actor.id) {
      // Audited outside any transaction: the refusal stays on record.
      await this.audit.record({
        actor,
        action: 'payout.paid',
        entityType: 'payout',
        entityId: id,
        outcome: 'denied',
        details: {
          reason: 'four eyes: the creator of a payout cannot mark it paid',
          createdBy: before.createdBy,
        },
      });
      throw new SettlementException(
        'PAYOUT_FOUR_EYES',
        'Four eyes: a payout is marked paid by someone other than the person who created it',
        { createdBy: before.createdBy },
      );
    }
    const twice = failed.filter((f, i) => failed.findIndex((g) => pairKey(g) === pairKey(f)) !== i);
    if (twice.length)
      throw new SettlementException('VALIDATION_FAILED', 'A failed transfer is named twice', {
        failedRows: twice.map(({ funderId, merchantId }) => ({ funderId, merchantId })),
      });
    if (failed.some((f) => !f.reason.trim()))
      throw new SettlementException('VALIDATION_FAILED', 'Each failed transfer needs a reason');
    return this.tx.run(async (m) => {
      const payout = await this.lock(m, id);
      this.assertExported(payout, 'mark paid');
      const now = this.clock.now();
      const failedRows = failed.length ? await this.recordFailed(m, actor, id, failed, now) : [];
      await m.query(
        `UPDATE payout SET status = 'paid', paid_at = $2, paid_by = $3, bank_reference = $4,
                paid_fen = (SELECT COALESCE(sum(total_fen), 0) FROM settlement_statement WHERE payout_id = $1)
          WHERE id = $1`,
        [id, now, actor.id, bankReference.trim()],
      );
      const statements = await queryRows<{ id: number }>(
        m,
        `UPDATE settlement_statement SET status = 'paid', updated_at = $2
          WHERE payout_id = $1 AND status = 'approved' RETURNING id`,
        [id, now],
      );
      await this.ledger.postPaid(m, id, now);
      const paid = await this.read(m, id);
      await this.audit.record(
        {
          actor,
          action: 'payout.paid',
          entityType: 'payout',
          entityId: id,
          details: {
            bankReference: paid.bankReference,
            totalFen: paid.totalFen,
            paidFen: paid.paidFen,
            failedRows,
          },
        },
        m,
      );
      await auditStatements(
        m,
        actor,
        'statement.paid',
        statements.map((s) => s.id),
        now,
        { from: 'approved', to: 'paid', payoutId: id },
      );
      return paid;
    });
  }

  /**
   * Withdraws an exported payout (the file was wrong, or will not be sent): its statements go back to
   * approved, outside any payout, for the next one. Nothing was posted to the ledger at export.
   * Once its bank file was downloaded the file may be at the bank, and the next payout would pay
   * the same statements again: the reviewer has to confirm the bank did not receive it
   * (`bankDidNotReceive`), else PAYOUT_FILE_DOWNLOADED and nothing changes.
   */
  async cancel(
    actor: Actor,
    id: number,
    reason: string,
    options: { bankDidNotReceive?: boolean } = {},
  ): Promise<PayoutView> {
    const why = reason.trim();
    if (!why) throw new SettlementException('VALIDATION_FAILED', 'A reason is required to cancel a payout');
    return this.tx.run(async (m) => {
      // The lock orders this after any download in progress (a download holds the row too).
      const payout = await this.lock(m, id);
      this.assertExported(payout, 'cancel');
      const confirmed = options.bankDidNotReceive === true;
      if (payout.fileDownloadCount > 0 && !confirmed)
        throw new SettlementException(
          'PAYOUT_FILE_DOWNLOADED',
          `The bank file of payout ${id} was downloaded ${payout.fileDownloadCount} time(s), first at ${payout.fileDownloadedAt?.toISOString()}: confirm the bank did not receive it (bankDidNotReceive) to cancel`,
          { fileDownloadCount: payout.fileDownloadCount, fileDownloadedAt: payout.fileDownloadedAt },
        );
      const now = this.clock.now();
      await m.query(
        `UPDATE payout SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3, cancel_reason = $4
          WHERE id = $1`,
        [id, now, actor.id, why],
      );
      const statements = await queryRows<{ id: number }>(
        m,
        `UPDATE settlement_statement SET payout_id = NULL, updated_at = $2 WHERE payout_id = $1 RETURNING id`,
        [id, now],
      );
      const ids = statements.map((s) => s.id).sort((a, b) => a - b);
      await this.audit.record(
        {
          actor,
          action: 'payout.cancel',
          entityType: 'payout',
          entityId: id,
          details: {
            reason: why,
            totalFen: payout.totalFen,
            statementIds: ids,
            fileDownloadCount: payout.fileDownloadCount,
            ...(confirmed ? { bankDidNotReceive: true } : {}),
          },
        },
        m,
      );
      await auditStatements(m, actor, 'statement.payout_cancelled', ids, now, {
        from: 'approved',
        to: 'approved',
        payoutId: id,
        reason: why,
      });
      return this.read(m, id);
    });
  }

  /** Negative nets carried over, per funder and merchant, oldest first (finance and auditors). */
  outstandingClawbacks(
    filter: { funderId?: number; merchantId?: number } = {},
  ): Promise<OutstandingClawback[]> {
    return outstandingClawbacks(
      this.tx.dataSource.manager,
      { funderIds: filter.funderId ? [filter.funderId] : null, merchantId: filter.merchantId },
      this.clock.now(),
    );
  }

  async get(id: number): Promise<PayoutView> {
    return this.read(this.tx.dataSource.manager, id);
  }

  async list(options: { limit?: number; offset?: number } = {}): Promise<PayoutView[]> {
    return queryRows<PayoutView>(
      this.tx.dataSource.manager,
      `SELECT ${PAYOUT_COLUMNS} FROM payout p ORDER BY p.id DESC LIMIT $1 OFFSET $2`,
      [options.limit ?? 50, options.offset ?? 0],
    );
  }

  /**
   * The transfers of a payout for the API: account numbers masked (the full number is only in the
   * finance bank files), then the transfers the bank could not make.
   */
  async rows(id: number): Promise<PayoutRow[]> {
    const payout = await this.get(id);
    const m = this.tx.dataSource.manager;
    const status = payout.status === 'paid' ? 'paid' : 'exported';
    const transfers = (await this.transfers(m, id)).map((r): PayoutRow => ({
      ...r,
      status,
      failureReason: null,
    }));
    const failed = await queryRows<PayoutRow>(
      m,
      `SELECT x.funder_id AS "funderId", f.name AS "funderName", x.merchant_id AS "merchantId",
              m.name AS "merchantName", m.bank_account_name AS "bankAccountName", m.bank_name AS "bankName",
              m.bank_account_no AS "bankAccountNo", x.amount_fen AS "amountFen", x.statement_ids AS "statementIds",
              'failed' AS status, x.reason AS "failureReason"
         FROM payout_failed_row x JOIN merchant m ON m.id = x.merchant_id JOIN funder f ON f.id = x.funder_id
        WHERE x.payout_id = $1 ORDER BY x.funder_id, x.merchant_id`,
      [id],
    );
    return [...transfers, ...failed.map((r) => ({ ...r, statementIds: r.statementIds.map(Number) }))].map(
      (r) => ({ ...r, bankAccountNo: maskAccountNumber(r.bankAccountNo) }),
    );
  }

  /** The bank file as CSV (UTF-8 with BOM, so Excel reads the Chinese). Amounts are yuan text from fen. */
  async csv(actor: Actor, id: number): Promise<string> {
    return this.tx.run(async (m) => {
      await this.recordDownload(m, actor, id, 'csv');
      const rows = await this.transfers(m, id);
      const lines = [FILE_COLUMNS, ...rows.map(fileCells)].map((cells) => cells.map(csvCell).join(','));
      return `\ufeff${lines.join('\r\n')}\r\n`;
    });
  }

  /** The bank file as XLSX: text cells, so account numbers and amounts are never reformatted. */
  async xlsx(actor: Actor, id: number): Promise<Buffer> {
    return this.tx.run(async (m) => {
      await this.recordDownload(m, actor, id, 'xlsx');
      const rows = await this.transfers(m, id);
      const [{ n }] = await queryRows<{ n: number }>(
        m,
        `SELECT count(*)::int AS n FROM settlement_statement WHERE payout_id = $1`,
        [id],
      );
      return xlsxFile(id, rows, n);
    });
  }

  /** The transfers still in the payout (net > 0 per funder and merchant), full account numbers. */
  private async transfers(m: EntityManager, id: number): Promise<BankTransfer[]> {
    const rows = await queryRows<BankTransfer>(
      m,
      `SELECT s.funder_id AS "funderId", f.name AS "funderName", s.merchant_id AS "merchantId",
              m.name AS "merchantName", m.bank_account_name AS "bankAccountName", m.bank_name AS "bankName",
              m.bank_account_no AS "bankAccountNo", sum(s.total_fen)::bigint AS "amountFen",
              array_agg(s.id ORDER BY s.id)::bigint[] AS "statementIds"
         FROM settlement_statement s JOIN merchant m ON m.id = s.merchant_id JOIN funder f ON f.id = s.funder_id
        WHERE s.payout_id = $1
        GROUP BY s.funder_id, f.name, s.merchant_id, m.name, m.bank_account_name, m.bank_name, m.bank_account_no
       HAVING sum(s.total_fen) > 0
        ORDER BY s.funder_id, s.merchant_id`,
      [id],
    );
    // pg reads bigint[] as text: ids are far below 2^53.
    return rows.map((r) => ({ ...r, statementIds: r.statementIds.map(Number) }));
  }

  /** Records failed transfers of an exported payout (locked) and returns their statements to approved. */
  private async recordFailed(
    m: EntityManager,
    actor: Actor,
    id: number,
    failed: FailedTransfer[],
    now: Date,
  ): Promise<(FailedTransfer & { amountFen: Fen; statementIds: number[] })[]> {
    const transfers = await this.transfers(m, id);
    const unknown = failed.filter((f) => !transfers.some((t) => pairKey(t) === pairKey(f)));
    if (unknown.length)
      throw new SettlementException(
        'PAYOUT_ROW_NOT_FOUND',
        `Payout ${id} has no transfer to ${unknown.map((u) => `merchant ${u.merchantId} from funder ${u.funderId}`).join(', ')}`,
        { failedRows: unknown.map(({ funderId, merchantId }) => ({ funderId, merchantId })) },
      );
    const recorded = failed.map((f) => {
      const t = transfers.find((x) => pairKey(x) === pairKey(f))!;
      return { ...f, reason: f.reason.trim(), amountFen: t.amountFen, statementIds: t.statementIds };
    });
    for (const r of recorded) {
      await m.query(
        `INSERT INTO payout_failed_row
           (payout_id, funder_id, merchant_id, amount_fen, statement_ids, reason, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5::bigint[], $6, $7, $8)`,
        [id, r.funderId, r.merchantId, r.amountFen, r.statementIds, r.reason, actor.id, now],
      );
      await m.query(
        `UPDATE settlement_statement SET payout_id = NULL, updated_at = $3
          WHERE payout_id = $1 AND id = ANY($2::bigint[])`,
        [id, r.statementIds, now],
      );
      await auditStatements(m, actor, 'statement.payout_failed', r.statementIds, now, {
        from: 'approved',
        to: 'approved',
        payoutId: id,
        reason: r.reason,
      });
    }
    return recorded;
  }

  private assertExported(payout: PayoutView, action: string): void {
    if (payout.status === 'paid')
      throw new SettlementException('PAYOUT_ALREADY_PAID', `Payout ${payout.id} is already paid`, {
        bankReference: payout.bankReference,
      });
    if (payout.status !== 'exported')
      throw new SettlementException(
        'PAYOUT_NOT_EXPORTED',
        `Payout ${payout.id} is ${payout.status}: only an exported payout can be ${action === 'cancel' ? 'cancelled' : 'marked paid'}`,
        { status: payout.status },
      );
  }

  /**
   * Counts a download of the bank file on the payout and audits it, in the transaction that reads
   * the file. The UPDATE holds the payout row until the file is read, so a cancel waits for it and
   * then sees the download; a download that waited for a cancel finds the payout cancelled. A
   * cancelled payout has no bank file: it must never reach the bank.
   */
  private async recordDownload(m: EntityManager, actor: Actor, id: number, format: 'csv' | 'xlsx') {
    const [counted] = await queryRows<{ fileDownloadCount: number }>(
      m,
      `UPDATE payout SET file_download_count = file_download_count + 1,
              file_downloaded_at = COALESCE(file_downloaded_at, $2)
        WHERE id = $1 AND status <> 'cancelled' RETURNING file_download_count AS "fileDownloadCount"`,
      [id, this.clock.now()],
    );
    if (!counted) {
      const payout = await this.read(m, id);
      throw new SettlementException('PAYOUT_NOT_EXPORTED', `Payout ${id} is cancelled: it has no bank file`, {
        status: payout.status,
      });
    }
    await this.audit.record(
      {
        actor,
        action: 'payout.export',
        entityType: 'payout',
        entityId: id,
        details: { format, fileDownloadCount: counted.fileDownloadCount },
      },
      m,
    );
  }

  private async read(m: EntityManager, id: number): Promise<PayoutView> {
    const [payout] = await queryRows<PayoutView>(
      m,
      `SELECT ${PAYOUT_COLUMNS} FROM payout p WHERE p.id = $1`,
      [id],
    );
    if (!payout) throw new SettlementException('PAYOUT_NOT_FOUND', `Payout ${id} was not found`);
    return payout;
  }

  private async lock(m: EntityManager, id: number): Promise<PayoutView> {
    const [row] = await queryRows<{ id: number }>(m, `SELECT id FROM payout WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw new SettlementException('PAYOUT_NOT_FOUND', `Payout ${id} was not found`);
    return this.read(m, id);
  }
}

/** The XLSX bank file of payout `id`: its transfers, then a total row with its statement count. */
async function xlsxFile(id: number, rows: BankTransfer[], statementCount: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Jinli';
  const ws = wb.addWorksheet(`付款批次${id}`);
  ws.columns = FILE_COLUMNS.map((header, i) => ({
    header,
    key: String(i),
    width: [14, 28, 24, 20, 24, 14, 24][i],
  }));
  for (const r of rows) ws.addRow(fileCells(r));
  const total = rows.reduce((sum, r) => sum + r.amountFen, 0);
  const totalRow = ws.addRow(['合计', '', '', '', '', formatYuan(total), `${statementCount} 张结算单`]);
  totalRow.font = { bold: true };
  ws.getRow(1).font = { bold: true };
  ws.getColumn(5).numFmt = '@';
  ws.getColumn(6).numFmt = '@';
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function fileCells(r: BankTransfer): string[] {
  return [
    r.funderName,
    r.merchantName,
    r.bankAccountName,
    r.bankName,
    r.bankAccountNo,
    formatYuan(r.amountFen),
    r.statementIds.join(' '),
  ];
}

/** Quotes a CSV cell, and defuses text a spreadsheet would run as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
