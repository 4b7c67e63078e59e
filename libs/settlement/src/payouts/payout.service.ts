import { Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { EntityManager } from 'typeorm';
import { PayoutStatus } from '@jinli/contracts';
import { Actor, AuditService, Clock, Fen, formatYuan, TransactionRunner } from '@jinli/platform';
import { LedgerService } from '../ledger/ledger.service';
import { auditStatements } from '../review/statement.service';
import { SettlementException } from '../settlement.exception';
import { queryRows } from '../sql';

export interface PayoutView {
  id: number;
  status: PayoutStatus;
  funderId: number | null;
  totalFen: Fen;
  statementCount: number;
  createdBy: number;
  createdAt: Date;
  paidAt: Date | null;
  paidBy: number | null;
  bankReference: string | null;
}

/** One transfer of the bank file: what one funder pays one merchant. */
export interface PayoutRow {
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

const PAYOUT_COLUMNS = `id, status, funder_id AS "funderId", total_fen AS "totalFen",
  statement_count AS "statementCount", created_by AS "createdBy", created_at AS "createdAt",
  paid_at AS "paidAt", paid_by AS "paidBy", bank_reference AS "bankReference"`;

/** Column titles of the bank file (user-facing: Simplified Chinese). */
const FILE_COLUMNS = ['付款方', '商户名称', '收款户名', '开户银行', '收款账号', '金额（元）', '结算单号'];

/**
 * Payout batches: approved statements, netted per funder and merchant, exported for the bank (CSV
 * and XLSX), then marked paid with the bank's reference. A merchant whose approved statements net
 * to less than zero with a funder (more clawed back than owed) is left out until later statements
 * cover it; a zero net is included (its statements close) with no transfer in the file.
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
  ): Promise<PayoutView> {
    return this.tx.run(async (m) => {
      const candidates = await queryRows<{
        id: number;
        merchantId: number;
        funderId: number;
        totalFen: number;
      }>(
        m,
        `SELECT id, merchant_id AS "merchantId", funder_id AS "funderId", total_fen AS "totalFen"
           FROM settlement_statement
          WHERE status = 'approved' AND payout_id IS NULL
            AND ($1::int IS NULL OR funder_id = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
          ORDER BY id FOR UPDATE`,
        [input.funderId ?? null, input.statementIds?.length ? input.statementIds : null],
      );
      if (input.statementIds?.length) {
        const missing = input.statementIds.filter((id) => !candidates.some((c) => c.id === id));
        if (missing.length)
          throw new SettlementException(
            'PAYOUT_NOTHING_TO_PAY',
            `Statement(s) ${missing.join(', ')} are not approved statements outside a payout`,
            { ids: missing },
          );
      }
      const groups = new Map<string, { total: number; ids: number[] }>();
      for (const c of candidates) {
        const key = `${c.funderId}:${c.merchantId}`;
        const g = groups.get(key) ?? { total: 0, ids: [] };
        g.total += c.totalFen;
        g.ids.push(c.id);
        groups.set(key, g);
      }
      const included = [...groups.values()].filter((g) => g.total >= 0);
      const ids = included.flatMap((g) => g.ids);
      if (!ids.length)
        throw new SettlementException('PAYOUT_NOTHING_TO_PAY', 'There is no approved statement to pay', {
          carriedOver: candidates.length,
        });
      const total = included.reduce((s, g) => s + g.total, 0);
      const [payout] = await queryRows<PayoutView>(
        m,
        `INSERT INTO payout (status, total_fen, statement_count, created_by, created_at, funder_id)
         VALUES ('exported', $1, $2, $3, $4, $5) RETURNING ${PAYOUT_COLUMNS}`,
        [total, ids.length, actor.id, this.clock.now(), input.funderId ?? null],
      );
      await m.query(
        `UPDATE settlement_statement SET payout_id = $1, updated_at = $3 WHERE id = ANY($2::bigint[])`,
        [payout.id, ids, this.clock.now()],
      );
      await this.audit.record(
        {
          actor,
          action: 'payout.create',
          entityType: 'payout',
          entityId: payout.id,
          details: { totalFen: total, statementIds: ids, funderId: input.funderId ?? null },
        },
        m,
      );
      return payout;
    });
  }

  async markPaid(actor: Actor, id: number, bankReference: string): Promise<PayoutView> {
    return this.tx.run(async (m) => {
      const payout = await this.lock(m, id);
      if (payout.status === 'paid')
        throw new SettlementException('PAYOUT_ALREADY_PAID', `Payout ${id} is already paid`, {
          bankReference: payout.bankReference,
        });
      const now = this.clock.now();
      const [paid] = await queryRows<PayoutView>(
        m,
        `UPDATE payout SET status = 'paid', paid_at = $2, paid_by = $3, bank_reference = $4 WHERE id = $1
         RETURNING ${PAYOUT_COLUMNS}`,
        [id, now, actor.id, bankReference.trim()],
      );
      const statements = await queryRows<{ id: number }>(
        m,
        `UPDATE settlement_statement SET status = 'paid', updated_at = $2
          WHERE payout_id = $1 AND status = 'approved' RETURNING id`,
        [id, now],
      );
      await this.ledger.postPaid(m, id, now);
      await this.audit.record(
        {
          actor,
          action: 'payout.paid',
          entityType: 'payout',
          entityId: id,
          details: { bankReference: paid.bankReference, totalFen: paid.totalFen },
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

  async get(id: number): Promise<PayoutView> {
    return this.lock(this.tx.dataSource.manager, id, false);
  }

  async list(options: { limit?: number; offset?: number } = {}): Promise<PayoutView[]> {
    return queryRows<PayoutView>(
      this.tx.dataSource.manager,
      `SELECT ${PAYOUT_COLUMNS} FROM payout ORDER BY id DESC LIMIT $1 OFFSET $2`,
      [options.limit ?? 50, options.offset ?? 0],
    );
  }

  /** The transfers of a payout (net > 0 per funder and merchant), for the bank file. */
  async rows(id: number): Promise<PayoutRow[]> {
    await this.get(id);
    const rows = await queryRows<PayoutRow>(
      this.tx.dataSource.manager,
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

  /** The bank file as CSV (UTF-8 with BOM, so Excel reads the Chinese). Amounts are yuan text from fen. */
  async csv(actor: Actor, id: number): Promise<string> {
    const rows = await this.rows(id);
    await this.auditExport(actor, id, 'csv');
    const lines = [FILE_COLUMNS, ...rows.map(fileCells)].map((cells) => cells.map(csvCell).join(','));
    return `\ufeff${lines.join('\r\n')}\r\n`;
  }

  /** The bank file as XLSX: text cells, so account numbers and amounts are never reformatted. */
  async xlsx(actor: Actor, id: number): Promise<Buffer> {
    const payout = await this.get(id);
    const rows = await this.rows(id);
    await this.auditExport(actor, id, 'xlsx');
    const wb = new ExcelJS.Workbook();
    wb.creator = 'Jinli';
    const ws = wb.addWorksheet(`付款批次${id}`);
    ws.columns = FILE_COLUMNS.map((header, i) => ({
      header,
      key: String(i),
      width: [14, 28, 24, 20, 24, 14, 24][i],
    }));
    for (const r of rows) ws.addRow(fileCells(r));
    const totalRow = ws.addRow([
      '合计',
      '',
      '',
      '',
      '',
      formatYuan(payout.totalFen),
      `${payout.statementCount} 张结算单`,
    ]);
    totalRow.font = { bold: true };
    ws.getRow(1).font = { bold: true };
    ws.getColumn(5).numFmt = '@';
    ws.getColumn(6).numFmt = '@';
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  private async auditExport(actor: Actor, id: number, format: string): Promise<void> {
    await this.audit.record({
      actor,
      action: 'payout.export',
      entityType: 'payout',
      entityId: id,
      details: { format },
    });
  }

  private async lock(m: EntityManager, id: number, forUpdate = true): Promise<PayoutView> {
    const [payout] = await queryRows<PayoutView>(
      m,
      `SELECT ${PAYOUT_COLUMNS} FROM payout WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    if (!payout) throw new SettlementException('PAYOUT_NOT_FOUND', `Payout ${id} was not found`);
    return payout;
  }
}

function fileCells(r: PayoutRow): string[] {
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
