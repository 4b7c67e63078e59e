import { CODE_STEP_MS, CodeRefusal, keyDigit, luhnDigit, VoucherCodec } from './voucher-code';

const K1 = { id: 'k1', secret: 'first-secret-of-at-least-thirty-two-chars' };
const K2 = { id: 'k2', secret: 'second-secret-of-at-least-thirty-two-chars' };
const T0 = Date.parse('2020-07-10T12:00:05+08:00');

function refusal(fn: () => unknown): CodeRefusal {
  try {
    fn();
  } catch (e) {
    if (e instanceof CodeRefusal) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** Changes one digit of the body and fixes the check digit, so only the signature can catch it. */
function alterDigit(digits: string, index: number): string {
  const d = String((Number(digits[index]) + 1) % 10);
  const body = digits.slice(0, index) + d + digits.slice(index + 1, 17);
  return body + luhnDigit(body);
}

describe('VoucherCodec', () => {
  const sut = new VoucherCodec([K1], 'prod');
  const step = VoucherCodec.stepAt(T0);

  it('renders a QR payload and 18 digits that verify in this step and the next', () => {
    const code = sut.render(4711, step);
    expect(code.qr).toMatch(/^JL1\.prod\.k1\.4711\.\d+\.[A-Za-z0-9_-]{22}$/);
    expect(code.digits).toMatch(/^[1-9]\d{17}$/);
    for (const at of [T0, T0 + CODE_STEP_MS]) {
      expect(sut.verify(code.qr, at)).toMatchObject({ voucherId: 4711, step, form: 'qr' });
      expect(sut.verify(code.digits!, at)).toMatchObject({ voucherId: 4711, step, form: 'digits' });
    }
  });

  it('accepts digits grouped with spaces or dashes', () => {
    const d = sut.render(12, step).digits!;
    expect(sut.verify(`${d.slice(0, 6)} ${d.slice(6, 12)}-${d.slice(12)}`, T0).voucherId).toBe(12);
  });

  it('refuses a code two steps old as expired (a screenshot), in both forms', () => {
    const code = sut.render(4711, step);
    const later = T0 + 2 * CODE_STEP_MS;
    expect(refusal(() => sut.verify(code.qr, later)).code).toBe('VOUCHER_CODE_EXPIRED');
    expect(refusal(() => sut.verify(code.digits!, later)).code).toBe('VOUCHER_CODE_EXPIRED');
    // Ten steps later the step digit wraps around: still recognised as stale, not as forged.
    expect(refusal(() => sut.verify(code.digits!, T0 + 10 * CODE_STEP_MS)).code).toBe('VOUCHER_CODE_EXPIRED');
    expect(refusal(() => sut.verify(code.digits!, T0 + 3 * 3600_000)).code).toBe('VOUCHER_CODE_EXPIRED');
  });

  it('refuses a code of a future step as not yet valid', () => {
    const code = sut.render(4711, step + 1);
    expect(refusal(() => sut.verify(code.qr, T0)).code).toBe('VOUCHER_CODE_NOT_YET_VALID');
    expect(refusal(() => sut.verify(code.digits!, T0)).code).toBe('VOUCHER_CODE_NOT_YET_VALID');
  });

  it('refuses altered codes as forged', () => {
    const code = sut.render(4711, step);
    const parts = code.qr.split('.');
    const otherVoucher = [...parts.slice(0, 3), '4712', ...parts.slice(4)].join('.');
    expect(refusal(() => sut.verify(otherVoucher, T0)).code).toBe('VOUCHER_CODE_FORGED');
    const flipped = parts[5].startsWith('A') ? `B${parts[5].slice(1)}` : `A${parts[5].slice(1)}`;
    expect(refusal(() => sut.verify([...parts.slice(0, 5), flipped].join('.'), T0)).code).toBe(
      'VOUCHER_CODE_FORGED',
    );
    for (const i of [9, 12, 16]) {
      expect(refusal(() => sut.verify(alterDigit(code.digits!, i), T0)).code).toBe('VOUCHER_CODE_FORGED');
    }
    // A code signed with a key this deployment never had.
    const stranger = new VoucherCodec([{ id: 'k1', secret: 'x'.repeat(40) }], 'prod');
    expect(refusal(() => sut.verify(stranger.render(4711, step).qr, T0)).code).toBe('VOUCHER_CODE_FORGED');
    expect(refusal(() => sut.verify(stranger.render(4711, step).digits!, T0)).code).toBe(
      'VOUCHER_CODE_FORGED',
    );
  });

  it('refuses truncated and malformed codes', () => {
    const code = sut.render(4711, step);
    for (const bad of [
      code.qr.slice(0, -1),
      code.qr.slice(0, 20),
      code.digits!.slice(0, 17),
      `${code.digits!}1`,
      code.digits!.slice(0, 17) + String((Number(code.digits![17]) + 5) % 10),
      '',
      'hello',
      '１２３４５６７８９０１２３４５６７８',
      'JL1.prod.k1.0.1.abc',
    ]) {
      expect(refusal(() => sut.verify(bad, T0)).code).toBe('VOUCHER_CODE_MALFORMED');
    }
  });

  it('catches a single mistyped digit with the check digit', () => {
    const d = sut.render(4711, step).digits!;
    const typo = d.slice(0, 5) + String((Number(d[5]) + 3) % 10) + d.slice(6);
    expect(refusal(() => sut.verify(typo, T0)).code).toBe('VOUCHER_CODE_MALFORMED');
  });

  it('refuses codes of another deployment', () => {
    const test = new VoucherCodec([K1], 'staging');
    const code = test.render(4711, step);
    expect(refusal(() => sut.verify(code.qr, T0)).code).toBe('VOUCHER_CODE_OTHER_ENVIRONMENT');
    // The numeric form carries the deployment in its key digit: when the digits differ it says so.
    if (keyDigit('staging', 'k1') !== keyDigit('prod', 'k1')) {
      expect(refusal(() => sut.verify(code.digits!, T0)).code).toBe('VOUCHER_CODE_OTHER_ENVIRONMENT');
    } else {
      expect(refusal(() => sut.verify(code.digits!, T0)).code).toBe('VOUCHER_CODE_FORGED');
    }
  });

  it('refuses a genuine code of another voucher than the one being confirmed', () => {
    const code = sut.render(4711, step);
    expect(refusal(() => sut.verify(code.qr, T0, 4712)).code).toBe('VOUCHER_CODE_WRONG_VOUCHER');
    expect(sut.verify(code.qr, T0, 4711).voucherId).toBe(4711);
  });

  it('rotates keys without invalidating codes in flight', () => {
    const before = new VoucherCodec([K1], 'prod');
    const during = new VoucherCodec([K2, K1], 'prod');
    const after = new VoucherCodec([K2], 'prod');
    const old = before.render(99, step);
    expect(during.verify(old.qr, T0).keyId).toBe('k1');
    expect(during.verify(old.digits!, T0).keyId).toBe('k1');
    const fresh = during.render(99, step);
    expect(fresh.qr).toContain('.k2.');
    // An instance that does not know k2 yet refuses it: add a key everywhere before signing with it.
    expect(refusal(() => before.verify(fresh.qr, T0)).code).toBe('VOUCHER_CODE_FORGED');
    expect(after.verify(fresh.qr, T0).keyId).toBe('k2');
    expect(refusal(() => after.verify(old.qr, T0)).code).toBe('VOUCHER_CODE_FORGED');
  });

  it('has no numeric form past nine-digit voucher ids', () => {
    expect(sut.render(1_000_000_000, step).digits).toBeNull();
    expect(sut.verify(sut.render(1_000_000_000, step).qr, T0).voucherId).toBe(1_000_000_000);
  });
});
