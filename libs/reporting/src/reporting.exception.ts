import { AuthErrors, CommonErrors, ReportingErrors } from '@jinli/contracts';
import { JinliException } from '@jinli/platform';

export type ReportingErrorCode =
  keyof typeof ReportingErrors | keyof typeof CommonErrors | keyof typeof AuthErrors;

/** Every refusal of the reports. */
export class ReportingException extends JinliException<ReportingErrorCode> {}
