import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { outcomeUnknown } from './claim-writer.service';

/** An error as PostgreSQL sends it, wrapped by TypeORM as the writer sees it. */
function fromServer(code: string, severity = 'ERROR'): QueryFailedError {
  const e = new DatabaseError('refused', 0, 'error');
  e.code = code;
  e.severity = severity;
  return new QueryFailedError('INSERT INTO voucher ...', [], e);
}

describe('outcomeUnknown', () => {
  it('is a definite refusal when PostgreSQL raised an error while the statement ran', () => {
    for (const code of ['23505', '23514', 'P0001', '40P01', '40001', '57014', '53100', '25P03']) {
      expect([code, outcomeUnknown(fromServer(code))]).toEqual([code, false]);
    }
  });

  it('is unknown when the backend was terminated, crashed, or the connection failed', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08003', '58030', 'XX000']) {
      expect([code, outcomeUnknown(fromServer(code, 'FATAL'))]).toEqual([code, true]);
    }
  });

  it('is unknown for errors of the socket or the driver, even those that look like a SQLSTATE', () => {
    const sut = (error: Error) => outcomeUnknown(new QueryFailedError('INSERT', [], error));
    expect(sut(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(sut(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
    expect(sut(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(outcomeUnknown(new Error('Query read timeout'))).toBe(true);
  });
});
