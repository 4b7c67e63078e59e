import { Module } from '@nestjs/common';
import { SettlementModule } from '@jinli/settlement';
import { ReportAggregatesService } from './aggregates/report-aggregates.service';
import { LeverageReportService } from './reports/leverage-report.service';
import { LeverageXlsxService } from './reports/leverage-xlsx.service';
import { ReportingProcessor } from './reporting.processor';

const services = [ReportAggregatesService, LeverageReportService, LeverageXlsxService];

/** Leverage and programme reports, and the aggregates behind them. */
@Module({ imports: [SettlementModule], providers: [...services, ReportingProcessor], exports: services })
export class ReportingModule {}
