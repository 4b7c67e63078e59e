import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';
import { Role } from '@jinli/contracts';
import { MerchantService, ReferenceService, StoreAccessService } from '@jinli/issuing';
import { Actor, CurrentActor, Public, Roles, StaffAuthService } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import {
  CashierDto,
  CreateStaffDto,
  MerchantApplicationDto,
  MerchantListQuery,
  ReasonDto,
  StoreDto,
} from './dto/merchant.dto';

@ApiTags('merchants')
@Controller(API)
export class MerchantsController {
  constructor(
    private readonly merchants: MerchantService,
    private readonly access: StoreAccessService,
    private readonly staff: StaffAuthService,
    private readonly reference: ReferenceService,
  ) {}

  @Public()
  @Get('reference')
  @ApiOperation({ summary: 'Districts and merchant categories' })
  referenceData() {
    return this.reference.all();
  }

  @Public()
  @UseGuards(ThrottlerGuard)
  @Throttle({ default: { limit: 5, ttl: 60_000 } })
  @Post('merchant-applications')
  @ApiOperation({ summary: 'A merchant applies to join (with its stores and an owner account)' })
  apply(@Body() dto: MerchantApplicationDto) {
    return this.merchants.apply(dto);
  }

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @ApiBearerAuth()
  @Get('merchants')
  list(@Query() q: MerchantListQuery) {
    return this.merchants.list({
      status: q.status,
      district: q.district,
      category: q.category,
      limit: q.limit ? Number(q.limit) : undefined,
      offset: q.offset ? Number(q.offset) : undefined,
    });
  }

  @Roles(Role.Operator, Role.Finance, Role.Auditor)
  @ApiBearerAuth()
  @Get('merchants/:id')
  get(@Param('id', IdPipe) id: number) {
    return this.merchants.get(id);
  }

  @Roles(Role.Operator)
  @ApiBearerAuth()
  @Post('merchants/:id/approve')
  @HttpCode(200)
  approve(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number) {
    return this.merchants.approve(actor, id);
  }

  @Roles(Role.Operator)
  @ApiBearerAuth()
  @Post('merchants/:id/reject')
  @HttpCode(200)
  reject(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: ReasonDto) {
    return this.merchants.reject(actor, id, dto.reason);
  }

  @Roles(Role.Operator)
  @ApiBearerAuth()
  @Post('merchants/:id/suspend')
  @HttpCode(200)
  suspend(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: ReasonDto) {
    return this.merchants.suspend(actor, id, dto.reason);
  }

  @Roles(Role.Operator)
  @ApiBearerAuth()
  @Post('merchants/:id/reinstate')
  @HttpCode(200)
  reinstate(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number) {
    return this.merchants.reinstate(actor, id);
  }

  @Roles(Role.Operator)
  @ApiBearerAuth()
  @Post('staff')
  @ApiOperation({ summary: 'Create an operator, finance reviewer or auditor account' })
  createStaff(@CurrentActor() actor: Actor, @Body() dto: CreateStaffDto) {
    return this.staff.createAudited(actor, dto);
  }

  @Roles(Role.MerchantOwner, Role.Cashier)
  @ApiBearerAuth()
  @Get('my/merchant')
  @ApiOperation({ summary: 'My merchant, its status and stores' })
  myMerchant(@CurrentActor() actor: Actor) {
    return this.merchants.get(this.merchants.ownMerchant(actor));
  }

  @Roles(Role.MerchantOwner)
  @ApiBearerAuth()
  @Post('my/merchant/stores')
  addStore(@CurrentActor() actor: Actor, @Body() dto: StoreDto) {
    return this.merchants.addStore(actor, dto);
  }

  @Roles(Role.MerchantOwner)
  @ApiBearerAuth()
  @Get('my/merchant/staff')
  listStaff(@CurrentActor() actor: Actor) {
    return this.merchants.listStaff(actor);
  }

  @Roles(Role.MerchantOwner)
  @ApiBearerAuth()
  @Post('my/merchant/cashiers')
  @ApiOperation({ summary: 'Add a cashier to one of my stores' })
  addCashier(@CurrentActor() actor: Actor, @Body() dto: CashierDto) {
    return this.merchants.addCashier(actor, dto);
  }

  @Roles(Role.MerchantOwner, Role.Cashier)
  @ApiBearerAuth()
  @Get('my/stores/:storeId')
  @ApiOperation({ summary: 'A store I may act for (refused, and audited, for other merchants)' })
  async myStore(@CurrentActor() actor: Actor, @Param('storeId', IdPipe) storeId: number) {
    const { store, merchant } = await this.access.assertStore(actor, storeId, 'store.view');
    return {
      id: store.id,
      name: store.name,
      district: store.district,
      address: store.address,
      merchantId: merchant.id,
      merchantName: merchant.name,
    };
  }
}
