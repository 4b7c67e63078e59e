import { AuthErrors } from './auth.errors';
import { ClaimingErrors } from './claiming.errors';
import { CommonErrors } from './common.errors';
import { IssuingErrors } from './issuing.errors';
import { RedemptionErrors } from './redemption.errors';
import { ReportingErrors } from './reporting.errors';
import { SettlementErrors } from './settlement.errors';

/**
 * Every stable error code Jinli answers with, and its HTTP status. Each bounded context keeps its
 * codes in its own file; add the file here.
 */
export const ERROR_STATUS = {
  ...CommonErrors,
  ...AuthErrors,
  ...IssuingErrors,
  ...ClaimingErrors,
  ...RedemptionErrors,
  ...SettlementErrors,
  ...ReportingErrors,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one JSON error body of the API. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export {
  AuthErrors,
  ClaimingErrors,
  CommonErrors,
  IssuingErrors,
  RedemptionErrors,
  ReportingErrors,
  SettlementErrors,
};
export { ClaimIneligibleReason } from './claiming.errors';
