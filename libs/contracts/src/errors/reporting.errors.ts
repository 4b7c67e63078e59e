/** Refusals of the reports. */
export const ReportingErrors = {
  REPORT_RANGE_INVALID: 422,
  REPORT_GROUPING_UNSUPPORTED: 422,
} as const;
