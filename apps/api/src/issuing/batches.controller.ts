import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { BatchService, LifecycleAction } from '@jinli/issuing';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { toBatchPatch } from './batch-input';
import { RoundDto, UpdateBatchDto } from './dto/batch.dto';
import { LifecycleActionPipe } from './lifecycle-action.pipe';

@ApiTags('issuing')
@ApiBearerAuth()
@Controller(`${API}/batches`)
export class BatchesController {
  constructor(private readonly batches: BatchService) {}

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get(':id')
  get(@Param('id', IdPipe) id: number) {
    return this.batches.get(id);
  }

  @Roles(Role.Operator)
  @Patch(':id')
  @ApiOperation({ summary: 'Edit a batch; money rules are frozen once vouchers are claimed' })
  update(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: UpdateBatchDto) {
    return this.batches.update(actor, id, toBatchPatch(dto));
  }

  @Roles(Role.Operator)
  @Post(':id/rounds')
  @ApiOperation({ summary: 'Add a claim round after the existing ones' })
  addRound(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: RoundDto) {
    return this.batches.addRound(actor, id, dto);
  }

  @Roles(Role.Operator)
  @Post(':id/:action')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: ['publish', 'pause', 'resume', 'end'] })
  transition(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: number,
    @Param('action', LifecycleActionPipe) action: LifecycleAction,
  ) {
    return this.batches.transition(actor, id, action);
  }
}
