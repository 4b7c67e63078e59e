import { Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Role } from '@jinli/contracts';
import { Actor, AuditService, CurrentActor, JobQueue, Roles } from '@jinli/platform';
import { LeverageReportService, LeverageXlsxService, RebuildReportsJob } from '@jinli/reporting';
import { API } from '../common/api';
import { LeverageReportQuery, toReportQuery } from './reports.dto';

@ApiTags('reports')
@ApiBearerAuth()
@Controller(`${API}/reports`)
export class ReportsController {
  constructor(
    private readonly reports: LeverageReportService,
    private readonly xlsx: LeverageXlsxService,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
  ) {}

  @Roles(Role.Finance, Role.Auditor, Role.Operator)
  @Get('leverage')
  @ApiOperation({
    summary:
      'Issued, redeemed, consumption driven, leverage (on redeemed and on issued money), rates, refunds',
  })
  leverage(@Query() q: LeverageReportQuery) {
    return this.reports.report(toReportQuery(q));
  }

  @Roles(Role.Finance, Role.Auditor, Role.Operator)
  @Get('leverage.xlsx')
  @ApiProduces('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiOperation({ summary: 'The same report as an XLSX workbook with title, totals and definitions' })
  async leverageXlsx(
    @CurrentActor() actor: Actor,
    @Query() q: LeverageReportQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const query = toReportQuery(q);
    const body = await this.xlsx.build(await this.reports.report(query));
    await this.audit.record({
      actor,
      action: 'report.export',
      entityType: 'report',
      entityId: 'leverage',
      details: { ...query },
    });
    void reply
      .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header(
        'content-disposition',
        `attachment; filename="leverage-${query.groupBy}-${query.fromDay}-${query.toDay}.xlsx"`,
      );
    return body;
  }

  @Roles(Role.Operator)
  @Post('rebuild')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rebuild every report aggregate from the base tables (a job)' })
  async rebuild(@CurrentActor() actor: Actor) {
    const job = await this.jobs.add(RebuildReportsJob, {}, { attempts: 1 });
    await this.audit.record({
      actor,
      action: 'report.rebuild',
      entityType: 'report',
      entityId: 'aggregates',
    });
    return { jobId: job.id };
  }
}
