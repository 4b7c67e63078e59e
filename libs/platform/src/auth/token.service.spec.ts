import { createHmac } from 'node:crypto';
import { Role } from '@jinli/contracts';
import { loadConfig } from '../config/app-config';
import { TokenService } from './token.service';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A token signed by hand, so the test does not trust the library it checks. */
function handMade(payload: Record<string, unknown>, secret: string, alg = 'HS256'): string {
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}`;
  const hash = alg === 'HS512' ? 'sha512' : 'sha256';
  return `${head}.${createHmac(hash, secret).update(head).digest('base64url')}`;
}

describe('TokenService', () => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const secret = config.auth.jwtSecret;
  const sut = new TokenService(config);
  const now = Date.parse('2020-07-10T02:00:00Z');
  const s = Math.floor(now / 1000);
  const code = (token: string, at = now) => {
    try {
      sut.verify(token, at);
      return 'ok';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };

  it('round-trips an actor with its merchant and store', () => {
    const { accessToken, expiresAt } = sut.issue(
      { id: 7, role: Role.Cashier, merchantId: 3, storeId: 9 },
      now,
    );
    expect(sut.verify(accessToken, now)).toEqual({ id: 7, role: Role.Cashier, merchantId: 3, storeId: 9 });
    expect(Date.parse(expiresAt)).toBe((s + config.auth.staffTokenTtlS) * 1000);
  });

  it('verifies a standard HS256 token signed elsewhere with the same secret', () => {
    expect(sut.verify(handMade({ sub: '5', role: 'citizen', iat: s, exp: s + 60 }, secret), now)).toEqual({
      id: 5,
      role: Role.Citizen,
    });
  });

  it('expires from the second of exp on, by the clock it is given', () => {
    const token = handMade({ sub: '5', role: 'citizen', iat: s, exp: s + 60 }, secret);
    expect(code(token, (s + 59) * 1000 + 999)).toBe('ok');
    expect(code(token, (s + 60) * 1000)).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('refuses another secret, another algorithm, alg none, a token without exp, one not yet valid, and garbage', () => {
    const claims = { sub: '5', role: 'citizen', iat: s, exp: s + 60 };
    expect(code(handMade(claims, 'x'.repeat(40)))).toBe('AUTH_TOKEN_INVALID');
    expect(code(handMade(claims, secret, 'HS512'))).toBe('AUTH_TOKEN_INVALID');
    expect(code(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`)).toBe('AUTH_TOKEN_INVALID');
    expect(code(handMade({ sub: '5', role: 'citizen', iat: s }, secret))).toBe('AUTH_TOKEN_INVALID');
    expect(code(handMade({ ...claims, nbf: s + 10 }, secret))).toBe('AUTH_TOKEN_INVALID');
    const good = handMade(claims, secret);
    expect(code(`${good.slice(0, -2)}AA`)).toBe('AUTH_TOKEN_INVALID');
    expect(code('not.a.token')).toBe('AUTH_TOKEN_INVALID');
    expect(code('')).toBe('AUTH_TOKEN_INVALID');
  });
});
