import { AuthErrors, ClaimingErrors, CommonErrors } from '@jinli/contracts';
import { JinliException } from '@jinli/platform';

export type ClaimingErrorCode =
  keyof typeof ClaimingErrors | keyof typeof CommonErrors | keyof typeof AuthErrors | 'BATCH_NOT_FOUND';

/** Every refusal of the claiming context. */
export class ClaimingException extends JinliException<ClaimingErrorCode> {}
