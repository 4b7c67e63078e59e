import { AuditCheck, AuditContext } from './types';

const q = <T>(ctx: AuditContext, sql: string, params: unknown[] = []) =>
  ctx.dataSource.query(sql, params) as Promise<T[]>;

/** Invariants of redemption (issue 4): vouchers, redemptions, parts, reversals and funder budgets agree. */
export const REDEMPTION_CHECKS: AuditCheck[] = [
  {
    name: 'redemption.voucher_matches_live_redemption',
    description: "a voucher is 'redeemed' exactly when it has one live redemption",
    async run(ctx) {
      const rows = await q<{ id: number; status: string; live: number }>(
        ctx,
        `SELECT v.id, v.status, count(r.id)::int AS live
           FROM voucher v LEFT JOIN redemption r ON r.voucher_id = v.id AND r.status = 'active'
          WHERE v.status = 'redeemed' OR r.id IS NOT NULL
          GROUP BY v.id, v.status
         HAVING (v.status = 'redeemed') <> (count(r.id) = 1)
          ORDER BY v.id LIMIT 1000`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `voucher ${r.id}`,
        message: `status ${r.status} with ${r.live} live redemption(s)`,
      }));
    },
  },
  {
    name: 'redemption.parts_sum_to_discount',
    description: "a redemption's funder parts sum to its discount",
    async run(ctx) {
      const rows = await q<{ id: number; discount_fen: number; parts: string | null }>(
        ctx,
        `SELECT r.id, r.discount_fen, sum(p.amount_fen) AS parts
           FROM redemption r LEFT JOIN redemption_part p ON p.redemption_id = r.id
          GROUP BY r.id HAVING COALESCE(sum(p.amount_fen), -1) <> r.discount_fen
          ORDER BY r.id LIMIT 1000`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `redemption ${r.id}`,
        message: `discount ${r.discount_fen} fen, parts ${r.parts ?? 'none'}`,
      }));
    },
  },
  {
    name: 'redemption.reversals_match_status',
    description: 'a reversed redemption has one reversal per part, of the same amount; a live one has none',
    async run(ctx) {
      const rows = await q<{ id: number; status: string; parts: number; reversed: number }>(
        ctx,
        `SELECT r.id, r.status, count(p.id)::int AS parts, count(x.id)::int AS reversed
           FROM redemption r JOIN redemption_part p ON p.redemption_id = r.id
           LEFT JOIN reversal x ON x.redemption_part_id = p.id AND x.amount_fen = p.amount_fen
          GROUP BY r.id, r.status
         HAVING (r.status = 'reversed' AND count(x.id) <> count(p.id)) OR (r.status = 'active' AND count(x.id) > 0)
          ORDER BY r.id LIMIT 1000`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `redemption ${r.id}`,
        message: `${r.status} with ${r.parts} part(s) and ${r.reversed} matching reversal(s)`,
      }));
    },
  },
  {
    name: 'redemption.funder_committed_matches_parts',
    description: 'funder.committed_fen = its redemption parts - its reversals, within its budget',
    async run(ctx) {
      const rows = await q<{ id: number; committed_fen: number; budget_fen: number; net: string }>(
        ctx,
        `SELECT f.id, f.committed_fen, f.budget_fen,
                COALESCE((SELECT sum(amount_fen) FROM redemption_part WHERE funder_id = f.id), 0)
                  - COALESCE((SELECT sum(amount_fen) FROM reversal WHERE funder_id = f.id), 0) AS net
           FROM funder f ORDER BY f.id`,
      );
      return rows
        .filter((r) => Number(r.net) !== r.committed_fen || r.committed_fen > r.budget_fen)
        .map((r) => ({
          check: this.name,
          subject: `funder ${r.id}`,
          message: `committed ${r.committed_fen} fen, parts - reversals ${r.net} fen, budget ${r.budget_fen} fen`,
        }));
    },
  },
];
