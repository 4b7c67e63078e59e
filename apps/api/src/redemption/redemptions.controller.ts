import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Role } from '@jinli/contracts';
import { RedemptionService, RedemptionViewsService, RefundService } from '@jinli/redemption';
import { Actor, CurrentActor, IdempotencyService, IdempotentResponse, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { BigIdPipe } from '../common/validators';
import { RedeemDto, RefundDto } from './redemption.dto';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: true,
  description: 'A new random key per attempt; a retry with the same key and body returns the first answer',
};

function send<T>(reply: FastifyReply, result: IdempotentResponse<T>): T {
  void reply.status(result.status);
  if (result.replayed) void reply.header('idempotent-replayed', 'true');
  return result.body;
}

@ApiTags('redemption')
@ApiBearerAuth()
@Controller(`${API}/redemptions`)
export class RedemptionsController {
  constructor(
    private readonly redemptions: RedemptionService,
    private readonly refunds: RefundService,
    private readonly views: RedemptionViewsService,
  ) {}

  @Roles(Role.Cashier)
  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Dry run: discount, amount to pay and every rule that fails; changes nothing' })
  preview(@CurrentActor() actor: Actor, @Body() dto: RedeemDto) {
    return this.redemptions.preview(actor, dto);
  }

  @Roles(Role.Cashier)
  @Post()
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Redeem a voucher for an order at the cashier’s store (exactly once)' })
  async redeem(
    @CurrentActor() actor: Actor,
    @Body() dto: RedeemDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.redemptions.redeem(actor, dto, IdempotencyService.checkKey(key));
    return send(reply, result);
  }

  @Roles(Role.Cashier, Role.MerchantOwner)
  @Get(':id')
  @ApiOperation({ summary: 'One redemption of my merchant, with its parts and refunds' })
  get(@CurrentActor() actor: Actor, @Param('id', BigIdPipe) id: number) {
    return this.views.redemption(actor.merchantId!, id);
  }

  @Roles(Role.Cashier, Role.MerchantOwner)
  @Post(':id/refunds')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Refund all or part of an order, at any store of the same merchant' })
  async refund(
    @CurrentActor() actor: Actor,
    @Param('id', BigIdPipe) id: number,
    @Body() dto: RefundDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.refunds.refund(actor, id, dto, IdempotencyService.checkKey(key));
    return send(reply, result);
  }
}
