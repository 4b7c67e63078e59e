export const AuthErrors = {
  AUTH_INVALID_CREDENTIALS: 401,
  AUTH_ACCOUNT_LOCKED: 423,
  AUTH_ACCOUNT_DISABLED: 403,
  AUTH_TOKEN_EXPIRED: 401,
  AUTH_TOKEN_INVALID: 401,
  AUTH_OTP_INVALID: 401,
  AUTH_OTP_EXPIRED: 401,
  AUTH_OTP_TOO_MANY_ATTEMPTS: 429,
  AUTH_OTP_TOO_FREQUENT: 429,
  AUTH_ROLE_FORBIDDEN: 403,
  AUTH_STORE_FORBIDDEN: 403,
  AUTH_USERNAME_TAKEN: 409,
  /** The account is already real-name verified with another ID number (a binding never changes). */
  AUTH_ALREADY_VERIFIED: 409,
  /** The ID number is already bound to another account. */
  AUTH_ID_NUMBER_TAKEN: 409,
} as const;
