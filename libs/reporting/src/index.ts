export * from './aggregates/aggregate-sql';
export * from './aggregates/report-aggregates.service';
export * from './reports/leverage-report.service';
export * from './reports/leverage-xlsx.service';
export * from './reporting.exception';
export * from './reporting.jobs';
export * from './reporting.module';
