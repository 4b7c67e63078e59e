import { HttpException } from '@nestjs/common';
import { ErrorBody, ErrorCode } from '@jinli/contracts';
import { isConstraintViolation, pgErrorOf, PgError } from '../database/transaction';
import { JinliException } from './jinli.exception';

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** Unexpected errors are logged with their stack; expected ones are not. */
  unexpected: boolean;
}

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'MALFORMED_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Our words for errors Fastify raises before a route runs (Nest may hand them over as HttpException). */
const TRANSPORT_MESSAGES: Record<number, string> = {
  413: 'Request body is too large',
  415: 'Send the request body as application/json',
};

/** Maps anything thrown while serving a request to the one error body `{ code, message, details? }`. */
export function mapError(error: unknown): MappedError {
  if (error instanceof JinliException)
    return { status: error.status, body: error.toBody(), unexpected: false };

  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'object' && response && 'code' in response && 'message' in response) {
      return { status, body: response as ErrorBody, unexpected: false };
    }
    const code = HTTP_STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'MALFORMED_REQUEST');
    const message = TRANSPORT_MESSAGES[status] ?? (typeof response === 'string' ? response : error.message);
    return { status, body: { code, message }, unexpected: status >= 500 };
  }

  // Errors raised by Fastify itself (body parsing, size limit, content type).
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (
    fastify &&
    typeof fastify.statusCode === 'number' &&
    typeof fastify.code === 'string' &&
    fastify.code.startsWith('FST_')
  ) {
    const status = fastify.statusCode;
    if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return {
        status: 413,
        body: { code: 'PAYLOAD_TOO_LARGE', message: TRANSPORT_MESSAGES[413] },
        unexpected: false,
      };
    }
    if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return {
        status: 415,
        body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: TRANSPORT_MESSAGES[415] },
        unexpected: false,
      };
    }
    return {
      status: status >= 400 && status < 500 ? status : 400,
      body: {
        code: HTTP_STATUS_CODES[status] ?? 'MALFORMED_REQUEST',
        message: fastify.message ?? 'Malformed request',
      },
      unexpected: false,
    };
  }
  if (error instanceof SyntaxError && /JSON/.test(error.message)) {
    return {
      status: 400,
      body: { code: 'MALFORMED_REQUEST', message: 'Request body is not valid JSON' },
      unexpected: false,
    };
  }

  // The database refused something the code should have caught first: still a clean answer.
  const pg = pgErrorOf(error);
  if (pg && isConstraintViolation(error)) {
    return {
      status: 409,
      body: {
        code: 'CONFLICT',
        message:
          pg.code === PgError.UniqueViolation
            ? 'This already exists'
            : 'The database refused a rule violation',
        details: { constraint: pg.constraint },
      },
      unexpected: false,
    };
  }
  // A value PostgreSQL cannot take (an id past integer, text where a number goes): the request's
  // fault, not ours. DTOs should catch these first, so it is still logged as a missed check.
  if (pg && (pg.code === PgError.NumericValueOutOfRange || pg.code === PgError.InvalidTextRepresentation)) {
    return {
      status: 400,
      body: { code: 'VALIDATION_FAILED', message: 'A value in the request is out of range or malformed' },
      unexpected: true,
    };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'Internal error' }, unexpected: true };
}
