import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Role } from '@jinli/contracts';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { PayoutService } from '@jinli/settlement';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { num } from './settlement-runs.controller';
import { CancelPayoutDto, CreatePayoutDto, MarkPaidDto, PageQuery } from './settlement.dto';

@ApiTags('settlement')
@ApiBearerAuth()
@Controller(`${API}/settlement/payouts`)
export class PayoutsController {
  constructor(private readonly payouts: PayoutService) {}

  @Roles(Role.Finance)
  @Post()
  @ApiOperation({ summary: 'Put approved statements into a payout batch for the bank' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreatePayoutDto) {
    return this.payouts.create(actor, dto);
  }

  @Roles(Role.Finance, Role.Auditor)
  @Get()
  list(@Query() q: PageQuery) {
    return this.payouts.list({ limit: num(q.limit), offset: num(q.offset) });
  }

  @Roles(Role.Finance, Role.Auditor)
  @Get(':id')
  get(@Param('id', IdPipe) id: number) {
    return this.payouts.get(id);
  }

  @Roles(Role.Finance, Role.Auditor)
  @Get(':id/rows')
  @ApiOperation({
    summary:
      'The transfers of a payout: per funder and merchant, with the statements (account numbers masked; failed ones last)',
  })
  rows(@Param('id', IdPipe) id: number) {
    return this.payouts.rows(id);
  }

  @Roles(Role.Finance)
  @Get(':id/file.csv')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: 'The bank file as CSV (UTF-8 with BOM); counted on the payout (fileDownloadCount)',
  })
  async csv(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = await this.payouts.csv(actor, id);
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="payout-${id}.csv"`);
    return body;
  }

  @Roles(Role.Finance)
  @Get(':id/file.xlsx')
  @ApiProduces('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiOperation({ summary: 'The bank file as XLSX; counted on the payout (fileDownloadCount)' })
  async xlsx(
    @CurrentActor() actor: Actor,
    @Param('id', IdPipe) id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = await this.payouts.xlsx(actor, id);
    void reply
      .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="payout-${id}.xlsx"`);
    return body;
  }

  @Roles(Role.Finance)
  @Post(':id/paid')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Mark a payout paid with the bank reference (not by its creator); its statements become paid, except those of failed transfers, which go back to approved',
  })
  paid(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: MarkPaidDto) {
    return this.payouts.markPaid(actor, id, dto.bankReference, dto.failedRows ?? []);
  }

  @Roles(Role.Finance)
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Cancel an exported payout: its statements go back to approved, outside any payout (once its file was downloaded, only with bankDidNotReceive: true)',
  })
  cancel(@CurrentActor() actor: Actor, @Param('id', IdPipe) id: number, @Body() dto: CancelPayoutDto) {
    return this.payouts.cancel(actor, id, dto.reason, { bankDidNotReceive: dto.bankDidNotReceive });
  }
}
