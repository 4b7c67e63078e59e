import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RedemptionErrors } from '@jinli/contracts';

/** A code changes every 30 seconds; the current and the previous step are accepted. */
export const CODE_STEP_MS = 30_000;
/** How far back a numeric code is recognised as stale (EXPIRED) rather than FORGED: one day. */
const STALE_HORIZON_STEPS = 2880;
const QR_PREFIX = 'JL1';
/** 128 bits of HMAC in the QR payload (22 base64url characters). */
const QR_MAC_BYTES = 16;
const QR_MAC_CHARS = 22;
/** Largest voucher id the 18-digit form can carry (9 digits). */
export const MAX_DIGITS_VOUCHER_ID = 999_999_999;

export type CodeErrorCode = Extract<
  keyof typeof RedemptionErrors,
  | 'VOUCHER_CODE_MALFORMED'
  | 'VOUCHER_CODE_FORGED'
  | 'VOUCHER_CODE_EXPIRED'
  | 'VOUCHER_CODE_NOT_YET_VALID'
  | 'VOUCHER_CODE_WRONG_VOUCHER'
  | 'VOUCHER_CODE_OTHER_ENVIRONMENT'
>;

/** Why a code was refused. `reason` is for logs and the error details, never for the citizen. */
export class CodeRefusal extends Error {
  constructor(
    readonly code: CodeErrorCode,
    readonly reason: string,
    readonly voucherId?: number,
  ) {
    super(`${code}: ${reason}`);
  }
}

export interface SigningKey {
  id: string;
  secret: string;
}

export interface VerifiedCode {
  voucherId: number;
  step: number;
  keyId: string;
  form: 'qr' | 'digits';
}

export interface RenderedCode {
  step: number;
  qr: string;
  /** Null when the voucher id does not fit the numeric layout. */
  digits: string | null;
}

interface Key extends SigningKey {
  /** 1-9: the leading digit of this key's numeric codes (never 0: barcode tools drop leading zeros). */
  digit: number;
}

/**
 * Signed rotating voucher codes. The HMAC-SHA256 binds the deployment tag, the key id, the voucher id
 * and the 30 s time step, so a code works for one voucher, for about a minute, in one deployment.
 *
 * QR payload: `JL1.<tag>.<keyId>.<voucherId>.<step>.<128-bit MAC, base64url>`.
 * 18 digits:  `K VVVVVVVVV S MMMMMM C`
 *   K: key digit (1-9, derived from tag and key id), V: voucher id (9 digits), S: step mod 10,
 *   M: 6 digits of the MAC (of the full step), C: Luhn check digit over the first 17.
 */
export class VoucherCodec {
  private readonly keys: Key[];

  constructor(
    keys: SigningKey[],
    readonly tag: string,
  ) {
    if (keys.length === 0) throw new Error('voucher codes need at least one key');
    this.keys = keys.map((k) => ({ ...k, digit: keyDigit(tag, k.id) }));
  }

  static stepAt(ms: number): number {
    return Math.floor(ms / CODE_STEP_MS);
  }

  /** The code of a voucher at a step, signed with the first key. */
  render(voucherId: number, step: number): RenderedCode {
    const key = this.keys[0];
    const mac = this.mac(key, voucherId, step);
    const qr = [
      QR_PREFIX,
      this.tag,
      key.id,
      voucherId,
      step,
      mac.subarray(0, QR_MAC_BYTES).toString('base64url'),
    ].join('.');
    let digits: string | null = null;
    if (voucherId <= MAX_DIGITS_VOUCHER_ID) {
      const body = `${key.digit}${String(voucherId).padStart(9, '0')}${step % 10}${mac6(mac)}`;
      digits = body + luhnDigit(body);
    }
    return { step, qr, digits };
  }

  /**
   * Checks a scanned or typed code at `nowMs`. Throws a CodeRefusal naming why it is refused.
   * `expectedVoucherId`: the voucher the till is confirming (from a preview), if any.
   */
  verify(input: string, nowMs: number, expectedVoucherId?: number): VerifiedCode {
    const text = input.trim();
    const verified = text.startsWith(`${QR_PREFIX}.`)
      ? this.verifyQr(text, nowMs)
      : this.verifyDigits(text, nowMs);
    if (expectedVoucherId !== undefined && verified.voucherId !== expectedVoucherId) {
      throw new CodeRefusal(
        'VOUCHER_CODE_WRONG_VOUCHER',
        `the code is for voucher ${verified.voucherId}, not ${expectedVoucherId}`,
        verified.voucherId,
      );
    }
    return verified;
  }

  private verifyQr(text: string, nowMs: number): VerifiedCode {
    const parts = text.split('.');
    if (parts.length !== 6)
      throw new CodeRefusal('VOUCHER_CODE_MALFORMED', `QR payload has ${parts.length} fields, not 6`);
    const [, tag, keyId, idText, stepText, macText] = parts;
    if (!/^[a-z0-9-]{1,16}$/i.test(tag) || !/^[a-z0-9]{1,8}$/i.test(keyId))
      throw new CodeRefusal('VOUCHER_CODE_MALFORMED', 'bad tag or key id');
    if (!/^[1-9]\d{0,15}$/.test(idText) || !/^\d{1,15}$/.test(stepText))
      throw new CodeRefusal('VOUCHER_CODE_MALFORMED', 'bad voucher id or step');
    if (!/^[A-Za-z0-9_-]*$/.test(macText) || macText.length !== QR_MAC_CHARS)
      throw new CodeRefusal(
        'VOUCHER_CODE_MALFORMED',
        `signature has ${macText.length} characters, not ${QR_MAC_CHARS}`,
      );
    const voucherId = Number(idText);
    const step = Number(stepText);
    if (!Number.isSafeInteger(voucherId))
      throw new CodeRefusal('VOUCHER_CODE_MALFORMED', 'voucher id too large');
    if (tag !== this.tag)
      throw new CodeRefusal('VOUCHER_CODE_OTHER_ENVIRONMENT', `code of deployment "${tag}"`, voucherId);
    const key = this.keys.find((k) => k.id === keyId);
    if (!key) throw new CodeRefusal('VOUCHER_CODE_FORGED', `unknown key "${keyId}"`, voucherId);
    const given = Buffer.from(macText, 'base64url');
    const expected = this.mac(key, voucherId, step).subarray(0, QR_MAC_BYTES);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new CodeRefusal('VOUCHER_CODE_FORGED', 'signature does not match', voucherId);
    this.checkStep(step, VoucherCodec.stepAt(nowMs), voucherId);
    return { voucherId, step, keyId, form: 'qr' };
  }

  private verifyDigits(text: string, nowMs: number): VerifiedCode {
    // Typists and some scanners group digits: "1234 5678-..." reads the same.
    const digits = text.replace(/[\s-]/g, '');
    if (!/^[0-9]+$/.test(digits)) throw new CodeRefusal('VOUCHER_CODE_MALFORMED', 'not a Jinli voucher code');
    if (digits.length !== 18)
      throw new CodeRefusal('VOUCHER_CODE_MALFORMED', `numeric code has ${digits.length} digits, not 18`);
    if (luhnDigit(digits.slice(0, 17)) !== digits[17])
      throw new CodeRefusal('VOUCHER_CODE_MALFORMED', 'check digit does not match (mistyped?)');
    const digit = Number(digits[0]);
    const voucherId = Number(digits.slice(1, 10));
    const stepDigit = Number(digits[10]);
    const mac = digits.slice(11, 17);
    if (voucherId === 0) throw new CodeRefusal('VOUCHER_CODE_MALFORMED', 'voucher id is zero');
    const keys = this.keys.filter((k) => k.digit === digit);
    if (keys.length === 0)
      throw new CodeRefusal(
        'VOUCHER_CODE_OTHER_ENVIRONMENT',
        'no key of this deployment has this key digit',
        voucherId,
      );

    const now = VoucherCodec.stepAt(nowMs);
    const matches = (step: number) => keys.find((k) => mac6(this.mac(k, voucherId, step)) === mac);
    for (const step of [now, now - 1]) {
      if (step % 10 !== stepDigit) continue;
      const key = matches(step);
      if (key) return { voucherId, step, keyId: key.id, form: 'digits' };
    }
    // Refused: tell a stale genuine code (a screenshot) from a made-up one.
    if ((now + 1) % 10 === stepDigit && matches(now + 1))
      throw new CodeRefusal('VOUCHER_CODE_NOT_YET_VALID', 'code of the next time step', voucherId);
    let stale = now - 2;
    while (((stale % 10) + 10) % 10 !== stepDigit) stale -= 1;
    for (; stale > now - STALE_HORIZON_STEPS; stale -= 10) {
      if (matches(stale))
        throw new CodeRefusal('VOUCHER_CODE_EXPIRED', `code of step ${stale}, now ${now}`, voucherId);
    }
    throw new CodeRefusal('VOUCHER_CODE_FORGED', 'signature does not match', voucherId);
  }

  private checkStep(step: number, now: number, voucherId: number): void {
    if (step > now)
      throw new CodeRefusal('VOUCHER_CODE_NOT_YET_VALID', `code of step ${step}, now ${now}`, voucherId);
    if (step < now - 1)
      throw new CodeRefusal('VOUCHER_CODE_EXPIRED', `code of step ${step}, now ${now}`, voucherId);
  }

  private mac(key: SigningKey, voucherId: number, step: number): Buffer {
    return createHmac('sha256', key.secret)
      .update(`${QR_PREFIX}|${this.tag}|${key.id}|${voucherId}|${step}`)
      .digest();
  }
}

/** 1-9 from the deployment tag and key id: a code of another deployment usually fails here already. */
export function keyDigit(tag: string, keyId: string): number {
  return 1 + (createHash('sha256').update(`${tag}|${keyId}`).digest()[0] % 9);
}

function mac6(mac: Buffer): string {
  return String(mac.readUIntBE(0, 6) % 1_000_000).padStart(6, '0');
}

/** The Luhn check digit of a digit string (catches every single-digit typo and most swaps). */
export function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}
