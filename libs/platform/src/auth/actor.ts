import { Role } from '@jinli/contracts';

/** Who is calling: decoded from the access token by the AuthGuard. */
export interface Actor {
  id: number;
  role: Role;
  /** Merchant staff only: the merchant they work for. */
  merchantId?: number;
  /** Cashiers only: their home store. */
  storeId?: number;
}

/** The claims Jinli puts in an access token. */
export interface AccessTokenClaims {
  sub: string;
  role: Role;
  mid?: number;
  sid?: number;
}

export function actorFromClaims(claims: AccessTokenClaims): Actor {
  const actor: Actor = { id: Number(claims.sub), role: claims.role };
  if (claims.mid !== undefined) actor.merchantId = claims.mid;
  if (claims.sid !== undefined) actor.storeId = claims.sid;
  return actor;
}

export function claimsFromActor(actor: Actor): AccessTokenClaims {
  const claims: AccessTokenClaims = { sub: String(actor.id), role: actor.role };
  if (actor.merchantId !== undefined) claims.mid = actor.merchantId;
  if (actor.storeId !== undefined) claims.sid = actor.storeId;
  return claims;
}
