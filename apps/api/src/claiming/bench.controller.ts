import { Controller, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { NaiveClaimService } from '@jinli/claiming';
import { Actor, CurrentActor, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { IdPipe } from '../common/validators';

/** Benchmark baseline only; mounted when CLAIM_BENCH_ROUTES=true. */
@ApiExcludeController()
@Controller(`${API}/claiming/bench`)
export class ClaimBenchController {
  constructor(private readonly naive: NaiveClaimService) {}

  @Roles(Role.Citizen)
  @Post('batches/:id/naive-claim')
  claim(@CurrentActor() actor: Actor, @Param('id', IdPipe) batchId: number) {
    return this.naive.claim(batchId, actor.id);
  }
}
