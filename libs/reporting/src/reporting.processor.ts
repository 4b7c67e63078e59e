import { Injectable } from '@nestjs/common';
import { JobHandler } from '@jinli/platform';
import { ReportAggregatesService } from './aggregates/report-aggregates.service';
import { RebuildReportsJob, RefreshClaimsJob } from './reporting.jobs';

/** Job handlers of reporting: decode, call the use case. */
@Injectable()
export class ReportingProcessor {
  constructor(private readonly aggregates: ReportAggregatesService) {}

  @JobHandler(RefreshClaimsJob)
  refreshClaims() {
    return this.aggregates.refreshClaims();
  }

  @JobHandler(RebuildReportsJob)
  rebuild() {
    return this.aggregates.rebuild();
  }
}
