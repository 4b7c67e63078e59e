import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { LifecycleStatus, Role } from '@jinli/contracts';
import { BatchService, CampaignService, LifecycleAction } from '@jinli/issuing';
import { Actor, CurrentActor, JinliException, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { toBatchInput } from './batch-input';
import { CreateBatchDto } from './dto/batch.dto';
import { CreateCampaignDto, UpdateCampaignDto } from './dto/campaign.dto';
import { LifecycleActionPipe } from './lifecycle-action.pipe';

@ApiTags('issuing')
@ApiBearerAuth()
@Controller(`${API}/campaigns`)
export class CampaignsController {
  constructor(
    private readonly campaigns: CampaignService,
    private readonly batches: BatchService,
  ) {}

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get()
  @ApiQuery({ name: 'status', required: false, enum: Object.values(LifecycleStatus) })
  list(@Query('status') status?: LifecycleStatus) {
    if (status !== undefined && !Object.values(LifecycleStatus).includes(status)) {
      throw new JinliException(
        'VALIDATION_FAILED',
        `status must be one of ${Object.values(LifecycleStatus).join(', ')}`,
      );
    }
    return this.campaigns.list(status);
  }

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get(':id')
  get(@Param('id', IdPipe) id: number) {
    return this.campaigns.get(id);
  }

  @Roles(Role.Operator)
  @Post()
  @ApiOperation({ summary: 'Create a campaign (draft) with its funders and their shares' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateCampaignDto) {
    return this.campaigns.create(actor, dto);
  }

  @Roles(Role.Operator)
  @Patch(':id')
  update(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: UpdateCampaignDto) {
    return this.campaigns.update(actor, id, dto);
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
    return this.campaigns.transition(actor, id, action);
  }

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @Get(':id/batches')
  listBatches(@Param('id', IdPipe) id: number) {
    return this.batches.listForCampaign(id);
  }

  @Roles(Role.Operator)
  @Post(':id/batches')
  @ApiOperation({ summary: 'Create a voucher batch (draft) with its claim rounds' })
  createBatch(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: CreateBatchDto) {
    return this.batches.create(actor, id, toBatchInput(dto));
  }
}
