import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Role } from '@jinli/contracts';
import { Roles } from '@jinli/platform';
import { LedgerService, runSettlementAudit } from '@jinli/settlement';
import { API } from '../common/api';
import { num } from './settlement-runs.controller';
import { AuditQuery, BalancesQuery } from './settlement.dto';

@ApiTags('settlement')
@ApiBearerAuth()
@Controller(`${API}/settlement`)
export class LedgerController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly dataSource: DataSource,
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
    return runSettlementAudit(this.dataSource.manager, q.funderId ? { funderIds: [Number(q.funderId)] } : {});
  }
}
