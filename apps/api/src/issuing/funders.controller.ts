import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { FunderService, LifecycleAction } from '@jinli/issuing';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { CreateFunderDto, UpdateFunderDto } from './dto/funder.dto';
import { LifecycleActionPipe } from './lifecycle-action.pipe';

@ApiTags('issuing')
@ApiBearerAuth()
@Controller(`${API}/funders`)
export class FundersController {
  constructor(private readonly funders: FunderService) {}

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get()
  @ApiOperation({ summary: 'Funders with budget, allocation and committed subsidy' })
  list() {
    return this.funders.list();
  }

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get(':id')
  get(@Param('id', IdPipe) id: number) {
    return this.funders.get(id);
  }

  @Roles(Role.Operator)
  @Post()
  @ApiOperation({ summary: 'Create a funder (draft)' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateFunderDto) {
    return this.funders.create(actor, dto);
  }

  @Roles(Role.Operator)
  @Patch(':id')
  update(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: UpdateFunderDto) {
    return this.funders.update(actor, id, dto);
  }

  @Roles(Role.Operator)
  @Post(':id/:action')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: ['publish', 'pause', 'resume', 'end'] })
  @ApiOperation({ summary: 'Publish, pause, resume or end a funder' })
  transition(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: number,
    @Param('action', LifecycleActionPipe) action: LifecycleAction,
  ) {
    return this.funders.transition(actor, id, action);
  }
}
