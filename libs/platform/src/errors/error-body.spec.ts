import { QueryFailedError } from 'typeorm';
import { mapError } from './error-body';

/** A TypeORM query error carrying the driver's SQLSTATE, as pg raises it. */
function pgFailure(code: string, message: string): QueryFailedError {
  return new QueryFailedError('SELECT $1::int', ['9999999999'], Object.assign(new Error(message), { code }));
}

describe('mapError', () => {
  it('answers 400 VALIDATION_FAILED for a value PostgreSQL cannot take (a safety net behind the DTOs)', () => {
    for (const [code, message] of [
      ['22003', 'value "9999999999" is out of range for type integer'],
      ['22P02', 'invalid input syntax for type integer: "abc"'],
    ]) {
      const sut = mapError(pgFailure(code, message));
      expect(sut.status).toBe(400);
      expect(sut.body).toEqual({
        code: 'VALIDATION_FAILED',
        message: 'A value in the request is out of range or malformed',
      });
      // Still logged: a DTO missed the check.
      expect(sut.unexpected).toBe(true);
      // The database's own words (values, types) do not reach the client.
      expect(JSON.stringify(sut.body)).not.toContain('9999999999');
    }
  });

  it('keeps other database failures a 500, and constraint violations a 409', () => {
    expect(mapError(pgFailure('40P01', 'deadlock detected'))).toMatchObject({
      status: 500,
      body: { code: 'INTERNAL' },
    });
    expect(mapError(pgFailure('23505', 'duplicate key'))).toMatchObject({
      status: 409,
      body: { code: 'CONFLICT' },
    });
  });
});
