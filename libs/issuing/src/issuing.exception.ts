import { AuthErrors, CommonErrors, IssuingErrors } from '@jinli/contracts';
import { JinliException } from '@jinli/platform';

export type IssuingErrorCode =
  keyof typeof IssuingErrors | keyof typeof CommonErrors | keyof typeof AuthErrors;

/** Every refusal of the issuing context. */
export class IssuingException extends JinliException<IssuingErrorCode> {}
