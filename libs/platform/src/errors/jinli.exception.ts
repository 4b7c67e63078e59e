import { ERROR_STATUS, ErrorBody, ErrorCode } from '@jinli/contracts';

/**
 * The base of every domain exception. Each bounded context subclasses it with its own codes
 * (IssuingException, ClaimingException, ...); one filter maps codes to HTTP statuses.
 */
export class JinliException<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class NotFoundError extends JinliException {
  constructor(what: string, id: unknown) {
    super('NOT_FOUND', `${what} ${String(id)} was not found`);
  }
}
