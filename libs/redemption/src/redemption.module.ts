import { Module } from '@nestjs/common';
import { ClaimingModule } from '@jinli/claiming';
import { IssuingModule } from '@jinli/issuing';
import { ForgedCodeGuard } from './codes/forged-code-guard';
import { VoucherCodeService } from './codes/voucher-code.service';
import { ClaimingQuotaRecycler, ExpiredQuotaRecycler } from './expiry/expired-quota-recycler';
import { VoucherExpiryService } from './expiry/voucher-expiry.service';
import { IdempotencyPurgeService } from './idempotency-purge.service';
import { RedemptionService } from './redeem/redemption.service';
import { RefundService } from './refunds/refund.service';
import { RedemptionViewsService } from './views/redemption-views.service';

const services = [
  VoucherCodeService,
  ForgedCodeGuard,
  RedemptionService,
  RefundService,
  RedemptionViewsService,
  VoucherExpiryService,
  IdempotencyPurgeService,
];

@Module({
  imports: [IssuingModule, ClaimingModule],
  providers: [...services, { provide: ExpiredQuotaRecycler, useClass: ClaimingQuotaRecycler }],
  exports: [...services, ExpiredQuotaRecycler],
})
export class RedemptionModule {}
