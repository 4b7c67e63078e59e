import { createHmac } from 'node:crypto';

/** 13812345678 -> 138****5678. Anything that is not a plausible phone number is fully masked. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  return /^\d{11}$/.test(phone) ? `${phone.slice(0, 3)}****${phone.slice(7)}` : '****';
}

/** 6222021234567890123 -> ****0123 */
export function maskAccountNumber(account: string | null | undefined): string {
  if (!account) return '';
  return account.length <= 4 ? '****' : `****${account.slice(-4)}`;
}

/** Replaces every mainland mobile number in free text (log messages, error details). */
export function maskPhonesInText(text: string): string {
  return text.replace(/(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g, '$1****$2');
}

/**
 * Citizens' ID numbers are kept only as a salted HMAC, enough to detect one person claiming twice
 * under two phone numbers, useless to anyone who steals the table.
 */
export function hashIdNumber(idNumber: string, salt: string): string {
  return createHmac('sha256', salt).update(idNumber.trim().toUpperCase()).digest('hex');
}

/** Mainland resident ID: 17 digits and a check character (ISO 7064 MOD 11-2). */
export function isValidIdNumber(id: string): boolean {
  const v = id.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(v)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const checks = '10X98765432';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(v[i]) * weights[i];
  return checks[sum % 11] === v[17];
}
