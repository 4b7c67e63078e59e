import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { LiveViewService, QuotaRecyclingService, ReconciliationService } from '@jinli/claiming';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe, IntField } from '../common/validators';

export class ReconcileDto {
  @IntField({
    min: 1,
    max: 2_147_483_647,
    description: 'Only this batch (default: every live batch)',
    optional: true,
  })
  batchId?: number;

  @ApiPropertyOptional({ description: 'Rebuild the Redis counters from PostgreSQL even when they look fine' })
  @IsOptional()
  @IsBoolean()
  rebuild?: boolean;
}

@ApiTags('claiming')
@ApiBearerAuth()
@Controller(`${API}/claiming`)
export class ClaimingOpsController {
  constructor(
    private readonly live: LiveViewService,
    private readonly reconciliation: ReconciliationService,
    private readonly recycling: QuotaRecyclingService,
  ) {}

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get('batches/:id/live')
  @ApiOperation({ summary: 'Live view: quota, claimed, left and claims per second, per batch and round' })
  liveView(@Param('id', IdPipe) batchId: number) {
    return this.live.view(batchId);
  }

  @Roles(Role.Operator)
  @Post('reconcile')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run reconciliation now: rebuild lost counters, return reservations left without a voucher row',
  })
  reconcile(@CurrentActor() actor: Actor, @Body() dto: ReconcileDto) {
    return this.reconciliation.reconcile({ batchId: dto.batchId, rebuild: dto.rebuild, actor });
  }

  @Roles(Role.Operator)
  @Post('recycle-expired')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Return the quota of expired, never redeemed vouchers now (batches that recycle)',
  })
  recycle() {
    return this.recycling.recycleExpired();
  }
}
