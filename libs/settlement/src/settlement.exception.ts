import { AuthErrors, CommonErrors, SettlementErrors } from '@jinli/contracts';
import { JinliException } from '@jinli/platform';

export type SettlementErrorCode =
  keyof typeof SettlementErrors | keyof typeof CommonErrors | keyof typeof AuthErrors;

/** Every refusal of the settlement context. */
export class SettlementException extends JinliException<SettlementErrorCode> {}
