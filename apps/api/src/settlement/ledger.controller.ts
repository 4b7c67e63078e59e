import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Role } from '@jinli/contracts';
import { Clock, Roles } from '@jinli/platform';
import { LedgerService, PayoutService, runSettlementAudit } from '@jinli/settlement';
import { API } from '../common/api';
import { num } from './settlement-runs.controller';
import { AuditQuery, BalancesQuery, ClawbackQuery } from './settlement.dto';

@ApiTags('settlement')
@ApiBearerAuth()
@Controller(`${API}/settlement`)
export class LedgerController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly payouts: PayoutService,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  @Roles(Role.Finance, Role.Auditor)
  @Get('ledger/balances')
  @ApiOperation({
    summary: 'Ledger balances (debits minus credits) per account and funder, optionally merchant',
  })
  balances(@Query() q: BalancesQuery) {
    return this.ledger.balances({
      account: q.account,
      funderId: num(q.funderId),
      merchantId: num(q.merchantId),
      byMerchant: q.byMerchant === 'true',
    });
  }

  @Roles(Role.Auditor, Role.Finance)
  @Get('audit')
  @ApiOperation({
    summary: 'Run the settlement invariants (the checks `npm run audit` runs), optionally for one funder',
  })
  audit(@Query() q: AuditQuery) {
    return runSettlementAudit(this.dataSource.manager, {
      funderIds: q.funderId ? [Number(q.funderId)] : undefined,
      now: this.clock.now(),
    });
  }

  @Roles(Role.Finance, Role.Auditor)
  @Get('clawbacks')
  @ApiOperation({
    summary:
      'Outstanding claw-backs: per funder and merchant, approved unpaid statements netting below zero (carried over), oldest first, with their age',
  })
  clawbacks(@Query() q: ClawbackQuery) {
    return this.payouts.outstandingClawbacks({ funderId: num(q.funderId), merchantId: num(q.merchantId) });
  }
}
