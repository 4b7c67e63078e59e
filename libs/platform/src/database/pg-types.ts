import { types } from 'pg';

/**
 * PostgreSQL returns int8 (bigint, count(*)) as text. Jinli's int8 values are fen and row ids, far
 * below 2^53, so they are read as numbers; anything beyond the safe range fails loudly instead of
 * rounding silently.
 */
export function installPgTypeParsers(): void {
  types.setTypeParser(types.builtins.INT8, (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n))
      throw new RangeError(`int8 value ${value} is outside the safe integer range`);
    return n;
  });
  // `date` columns hold business days: keep them as YYYY-MM-DD text, never shift them through a Date.
  types.setTypeParser(types.builtins.DATE, (value: string) => value);
}
installPgTypeParsers();
