import { Controller, Get, HttpCode, Param, Post, Req, RequestMethod, Res } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CatalogueService, ClaimService, SoldOutBoard } from '@jinli/claiming';
import { Public } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';
import { retryAfterS } from './claim-fast-path';

/** Routes that answer a voucher drop's burst: no per-request access log (see loggerParams). */
export const CLAIM_HOT_ROUTES: RouteInfo[] = [
  { path: `${API}/claiming/batches/:id/claim`, method: RequestMethod.POST },
  { path: `${API}/claiming/hello`, method: RequestMethod.GET },
];

@ApiTags('claiming')
@Controller(`${API}/claiming`)
export class ClaimsController {
  constructor(
    private readonly claims: ClaimService,
    private readonly board: SoldOutBoard,
    private readonly catalogue: CatalogueService,
  ) {}

  /**
   * Public at guard level on purpose: a sold-out answer comes from memory before the token is even
   * looked at (most requests of a drop). Anything else verifies the bearer token itself. Claims are
   * normally answered by claimFastPath before they reach Nest; this method is the same answer for
   * what that hook passes on, and documents the route.
   */
  @Public()
  @ApiBearerAuth()
  @Post('batches/:id/claim')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Claim a voucher of a batch (citizen). 201 only once the voucher is committed',
    description:
      'Answers: 201 voucher; 409 CLAIM_LIMIT_REACHED, CLAIM_ROUND_NOT_OPEN (serverTime, opensAt), CLAIM_ROUND_SOLD_OUT (nextRoundOpensAt); 410 CLAIM_BATCH_SOLD_OUT; 403 CLAIM_NOT_ELIGIBLE (reason); 429 RATE_LIMITED (Retry-After); 401 without a valid citizen token.',
  })
  @ApiResponse({ status: 201, description: 'The voucher: id, batchId, round, slot, validFrom, validUntil' })
  async claim(
    @Param('id', IdPipe) batchId: number,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const soldOut = this.board.answer(batchId);
    if (soldOut) {
      void reply.status(soldOut.status);
      return soldOut.body;
    }
    const citizenId = this.claims.citizenFromHeader(req.headers.authorization);
    try {
      return await this.claims.claim(batchId, citizenId, req.ip);
    } catch (e) {
      const retryAfter = retryAfterS(e);
      if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
      throw e;
    }
  }

  /** The H5 catalogue. Public so the page can show it before sign-in; with a token it adds what I hold. */
  @Public()
  @ApiBearerAuth()
  @Get('campaigns')
  @ApiOperation({
    summary: 'Campaigns on offer with their batches, rules, rounds, live state and server time',
  })
  list(@Req() req: FastifyRequest) {
    return this.catalogue.list(this.optionalCitizen(req));
  }

  @Public()
  @ApiBearerAuth()
  @Get('batches/:id')
  @ApiOperation({ summary: 'One batch on offer, with its live state for the signed-in citizen' })
  batch(@Param('id', IdPipe) batchId: number, @Req() req: FastifyRequest) {
    return this.catalogue.batch(batchId, this.optionalCitizen(req));
  }

  /** A trivial route: the benchmark's yardstick for what the API process can answer at best. */
  @Public()
  @Get('hello')
  @ApiOperation({ summary: 'Says hello (no database, no Redis): a baseline for benchmarks' })
  hello() {
    return { hello: 'jinli' };
  }

  private optionalCitizen(req: FastifyRequest): number | null {
    return req.headers.authorization ? this.claims.citizenFromHeader(req.headers.authorization) : null;
  }
}
