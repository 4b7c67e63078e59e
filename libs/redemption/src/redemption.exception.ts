import { AuthErrors, CommonErrors, IssuingErrors, RedemptionErrors } from '@jinli/contracts';
import { JinliException } from '@jinli/platform';

export type RedemptionErrorCode =
  | keyof typeof RedemptionErrors
  | keyof typeof CommonErrors
  | keyof typeof AuthErrors
  | keyof typeof IssuingErrors;

/** Every refusal of the redemption context. */
export class RedemptionException extends JinliException<RedemptionErrorCode> {}
