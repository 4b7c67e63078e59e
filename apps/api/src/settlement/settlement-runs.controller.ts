import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { SettlementRunService } from '@jinli/settlement';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { PageQuery, StartRunDto } from './settlement.dto';

@ApiTags('settlement')
@ApiBearerAuth()
@Controller(`${API}/settlement/runs`)
export class SettlementRunsController {
  constructor(private readonly runs: SettlementRunService) {}

  @Roles(Role.Finance)
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a settlement run for a range of ended business days (chunk jobs do the work)',
  })
  start(@CurrentActor() actor: Actor, @Body() dto: StartRunDto) {
    return this.runs.start(actor, dto);
  }

  @Roles(Role.Finance, Role.Auditor, Role.Operator)
  @Get()
  list(@Query() q: PageQuery) {
    return this.runs.list({ limit: num(q.limit), offset: num(q.offset) });
  }

  @Roles(Role.Finance, Role.Auditor, Role.Operator)
  @Get(':id')
  @ApiOperation({ summary: 'A run and its progress (chunks done of chunk count)' })
  get(@Param('id', IdPipe) id: number) {
    return this.runs.get(id);
  }

  @Roles(Role.Finance, Role.Operator)
  @Post(':id/resume')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-enqueue the unfinished chunks of a failed or stuck run' })
  resume(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number) {
    return this.runs.resume(actor, id);
  }
}

export function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}
