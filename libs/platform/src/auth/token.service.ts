import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Role } from '@jinli/contracts';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JinliException } from '../errors/jinli.exception';
import { AccessTokenClaims, Actor, actorFromClaims, claimsFromActor } from './actor';

/** Signs and verifies access tokens (HS256 JWT). */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issue(actor: Actor, nowMs: number): { accessToken: string; expiresAt: string } {
    const ttl =
      actor.role === Role.Citizen ? this.config.auth.citizenTokenTtlS : this.config.auth.staffTokenTtlS;
    const iat = Math.floor(nowMs / 1000);
    const accessToken = this.jwt.sign({ ...claimsFromActor(actor), iat, exp: iat + ttl });
    return { accessToken, expiresAt: new Date((iat + ttl) * 1000).toISOString() };
  }

  /** Verifies a bearer token against the injected clock's time. */
  verify(token: string, nowMs: number): Actor {
    try {
      const claims = this.jwt.verify<AccessTokenClaims & { exp: number }>(token, {
        algorithms: ['HS256'],
        clockTimestamp: Math.floor(nowMs / 1000),
      });
      return actorFromClaims(claims);
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'TokenExpiredError')
        throw new JinliException('AUTH_TOKEN_EXPIRED', 'Your session has expired; sign in again');
      throw new JinliException('AUTH_TOKEN_INVALID', 'The access token is not valid');
    }
  }

  /** The token from an `Authorization: Bearer` header, or undefined. */
  static fromHeader(header: string | string[] | undefined): string | undefined {
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) return undefined;
    const m = /^Bearer\s+(\S+)$/i.exec(value);
    return m?.[1];
  }
}
