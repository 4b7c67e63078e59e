import { BatchInput, BatchView } from '@jinli/issuing';
import { Actor } from '@jinli/platform';
import { VoucherCodeService } from '@jinli/redemption';
import { Factories, HOUR, uniq } from './factories';
import { TestApi } from './test-api';

export interface VoucherRow {
  id: number;
  batchId: number;
  citizenId: number;
  validFrom: Date;
  validUntil: Date;
}

export interface RedemptionScene {
  batch: BatchView;
  merchant: { id: number; stores: { id: number; district: string }[] };
  owner: Actor;
  ownerToken: string;
  cashier: Actor;
  cashierToken: string;
  /** Cashiers of the merchant's other stores (when it has more than one). */
  otherCashiers: Actor[];
  citizen: { id: number; actor: Actor; token: string };
  voucher: VoucherRow;
}

/**
 * Vouchers straight in SQL (the claim flow is claiming's business): the insert trigger still counts
 * them against the batch and round quotas and the per-citizen limit, so these rows are legal ones.
 */
export class RedemptionFactories {
  constructor(
    private readonly api: TestApi,
    readonly f: Factories,
  ) {}

  /** A claimed voucher of `batchId` for a citizen (a new one by default), valid as the batch says. */
  async voucher(
    batchId: number,
    options: {
      citizenId?: number;
      validFrom?: Date;
      validUntil?: Date;
      status?: 'claimed' | 'void' | 'expired';
    } = {},
  ): Promise<VoucherRow> {
    const citizenId = options.citizenId ?? (await this.f.citizen()).id;
    const [row] = await this.vouchers(batchId, [citizenId], options);
    if (options.status && options.status !== 'claimed') {
      await this.api.dataSource.query(
        `UPDATE voucher SET status = $2, status_changed_at = $3 WHERE id = $1`,
        [row.id, options.status, this.api.clock.now()],
      );
    }
    return row;
  }

  /** One claimed voucher per citizen id, in one insert. */
  async vouchers(
    batchId: number,
    citizenIds: number[],
    options: { validFrom?: Date; validUntil?: Date } = {},
  ): Promise<VoucherRow[]> {
    const now = this.api.clock.now();
    const [b] = (await this.api.dataSource.query(
      `SELECT b.validity_kind, b.valid_from, b.valid_until, b.valid_days,
              (SELECT id FROM claim_round r WHERE r.batch_id = b.id ORDER BY seq LIMIT 1) AS round_id
         FROM voucher_batch b WHERE b.id = $1`,
      [batchId],
    )) as {
      validity_kind: string;
      valid_from: Date;
      valid_until: Date;
      valid_days: number;
      round_id: number;
    }[];
    const validFrom = options.validFrom ?? (b.validity_kind === 'fixed' ? b.valid_from : now);
    const validUntil =
      options.validUntil ??
      (b.validity_kind === 'fixed' ? b.valid_until : new Date(now.getTime() + b.valid_days * 24 * HOUR));
    const rows = (await this.api.dataSource.query(
      `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
       SELECT $1, $2, c.id,
              COALESCE((SELECT max(slot) FROM voucher v WHERE v.batch_id = $1 AND v.citizen_id = c.id), 0) + 1,
              $3, $4, $5
         FROM unnest($6::int[]) AS c(id)
       RETURNING id, citizen_id`,
      [batchId, b.round_id, now, validFrom, validUntil, citizenIds],
    )) as { id: number; citizen_id: number }[];
    return rows.map((r) => ({ id: r.id, batchId, citizenId: r.citizen_id, validFrom, validUntil }));
  }

  /** The live code of a voucher, as the citizen's page would show it now. */
  code(voucherId: number): { qr: string; digits: string } {
    const c = this.api.get(VoucherCodeService).issue(voucherId);
    return { qr: c.qr, digits: c.digits! };
  }

  /**
   * A published 满100减30 batch (70/30 funders), an approved merchant with its stores and cashiers,
   * and a citizen holding one claimed voucher.
   */
  async scene(
    options: {
      batch?: Partial<BatchInput>;
      shares?: number[];
      merchant?: { category?: string; district?: string; stores?: number };
    } = {},
  ): Promise<RedemptionScene> {
    const campaign = await this.f.campaign({ shares: options.shares });
    const batch = await this.f.batch({ campaignId: campaign.id, ...options.batch });
    const m = await this.f.merchant(options.merchant ?? {});
    const citizen = await this.f.citizen();
    const voucher = await this.voucher(batch.id, { citizenId: citizen.id });
    const [cashier, ...otherCashiers] = m.cashiers;
    return {
      batch,
      merchant: { id: m.merchant.id, stores: m.merchant.stores },
      owner: m.owner,
      ownerToken: this.f.token(m.owner),
      cashier,
      cashierToken: this.f.token(cashier),
      otherCashiers,
      citizen,
      voucher,
    };
  }

  /** A fresh Idempotency-Key. */
  key(): string {
    return uniq('idem');
  }
}
