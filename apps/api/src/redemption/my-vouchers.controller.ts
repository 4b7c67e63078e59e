import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { RedemptionViewsService } from '@jinli/redemption';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { BigIdPipe } from '../common/validators';
import { MyVouchersQuery } from './redemption.dto';

@ApiTags('citizen')
@ApiBearerAuth()
@Controller(`${API}/me/vouchers`)
export class MyVouchersController {
  constructor(private readonly views: RedemptionViewsService) {}

  @Roles(Role.Citizen)
  @Get()
  @ApiOperation({ summary: 'My vouchers (optionally of one state) and the count in each state' })
  list(@CurrentActor() actor: Actor, @Query() q: MyVouchersQuery) {
    return this.views.myVouchers(actor.id, q.state);
  }

  @Roles(Role.Citizen)
  @Get(':id')
  @ApiOperation({ summary: 'One of my vouchers: its rules, where it can be used, and its live code' })
  get(@CurrentActor() actor: Actor, @Param('id', BigIdPipe) id: number) {
    return this.views.myVoucher(actor.id, id);
  }

  @Roles(Role.Citizen)
  @Get(':id/code')
  @ApiOperation({ summary: 'The live code of one of my vouchers (changes every 30 seconds)' })
  code(@CurrentActor() actor: Actor, @Param('id', BigIdPipe) id: number) {
    return this.views.myVoucherCode(actor.id, id);
  }
}
