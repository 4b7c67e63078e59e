import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { StatementService } from '@jinli/settlement';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { num } from './settlement-runs.controller';
import {
  ApproveDto,
  BulkApproveDto,
  OptionalReasonDto,
  PageQuery,
  ReasonDto,
  StatementListQuery,
} from './settlement.dto';

@ApiTags('settlement')
@ApiBearerAuth()
@Controller(`${API}/settlement/statements`)
export class StatementsController {
  constructor(private readonly statements: StatementService) {}

  @Roles(Role.Finance, Role.Auditor, Role.MerchantOwner)
  @Get()
  @ApiOperation({ summary: 'Statements (a merchant owner sees only its own)' })
  list(@CurrentActor() actor: Actor, @Query() q: StatementListQuery) {
    return this.statements.list(actor, {
      status: q.status,
      businessDay: q.businessDay,
      fromDay: q.fromDay,
      toDay: q.toDay,
      merchantId: num(q.merchantId),
      funderId: num(q.funderId),
      runId: num(q.runId),
      payoutId: num(q.payoutId),
      limit: num(q.limit),
      offset: num(q.offset),
    });
  }

  @Roles(Role.Finance)
  @Post('approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve several statements at once (all or nothing, four eyes)' })
  approveMany(@CurrentActor() actor: Actor, @Body() dto: BulkApproveDto) {
    return this.statements.approve(actor, dto.ids, dto.note);
  }

  @Roles(Role.Finance, Role.Auditor, Role.MerchantOwner)
  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number) {
    return this.statements.get(actor, id);
  }

  @Roles(Role.Finance, Role.Auditor, Role.MerchantOwner)
  @Get(':id/lines')
  @ApiOperation({ summary: 'Lines of a statement: redemption parts, and reversals (negative)' })
  lines(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Query() q: PageQuery) {
    return this.statements.lines(actor, id, { limit: num(q.limit), offset: num(q.offset) });
  }

  @Roles(Role.Finance)
  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve (four eyes: not the person who started the run); posts the payable' })
  async approve(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: ApproveDto) {
    const [statement] = await this.statements.approve(actor, [id], dto.note);
    return statement;
  }

  @Roles(Role.Finance)
  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject with a reason: its lines go back to the pool for a later run' })
  reject(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: ReasonDto) {
    return this.statements.reject(actor, id, dto.reason);
  }

  @Roles(Role.Finance)
  @Post(':id/hold')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hold with a reason (later approved, or released back to the pool)' })
  hold(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: ReasonDto) {
    return this.statements.hold(actor, id, dto.reason);
  }

  @Roles(Role.Finance)
  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release a held statement: its lines go back to the pool' })
  release(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: OptionalReasonDto) {
    return this.statements.release(actor, id, dto.reason);
  }
}
