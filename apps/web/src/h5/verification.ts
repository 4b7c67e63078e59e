import { describeError } from '../shared/errors';

/**
 * Real-name verification's refusals in the citizen's words. A binding is made once: an account keeps
 * its ID number, and an ID number verifies one account (AUTH_ALREADY_VERIFIED, AUTH_ID_NUMBER_TAKEN;
 * servers before that answered a plain CONFLICT for the second).
 */
export function verificationError(code: string, details?: unknown, status = 400): string {
  if (code === 'VALIDATION_FAILED') return '身份证号不正确，请核对后重新输入（最后一位可能是 X）';
  if (code === 'CONFLICT') return describeError('AUTH_ID_NUMBER_TAKEN');
  return describeError(code, details, status);
}

/** 18 characters: 17 digits and a digit or X (the check digit is the server's business). */
export function idNumberShapeOk(input: string): boolean {
  return /^\d{17}[\dXx]$/.test(input.trim());
}
