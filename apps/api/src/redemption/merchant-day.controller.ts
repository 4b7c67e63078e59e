import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { RedemptionViewsService } from '@jinli/redemption';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { DayQuery, OwnerDayQuery } from './redemption.dto';

@ApiTags('redemption')
@ApiBearerAuth()
@Controller(API)
export class MerchantDayController {
  constructor(private readonly views: RedemptionViewsService) {}

  @Roles(Role.Cashier)
  @Get('till/day')
  @ApiOperation({ summary: "Today's (or a day's) redemptions and refunds at my store, with totals" })
  till(@CurrentActor() actor: Actor, @Query() q: DayQuery) {
    return this.views.day({ merchantId: actor.merchantId!, storeId: actor.storeId! }, q.day);
  }

  @Roles(Role.MerchantOwner)
  @Get('merchant/day')
  @ApiOperation({ summary: 'The same across my stores, with a per-store split (or one store)' })
  owner(@CurrentActor() actor: Actor, @Query() q: OwnerDayQuery) {
    return this.views.day(
      { merchantId: actor.merchantId!, storeId: q.storeId ? Number(q.storeId) : undefined },
      q.day,
    );
  }
}
