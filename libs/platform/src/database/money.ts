import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/** Money is integer fen (1/100 CNY) in a bigint column and a JS safe integer in code. */
export type Fen = number;

export function assertFen(value: unknown, what = 'amount'): asserts value is Fen {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${what} must be an integer number of fen, got ${String(value)}`);
  }
}

export const fenTransformer: ValueTransformer = {
  to: (value: unknown) => {
    if (value === null || value === undefined) return value;
    assertFen(value);
    return value;
  },
  from: (value: unknown) => (value === null || value === undefined ? value : Number(value)),
};

/** The one column type for money. */
export function MoneyColumn(options: Omit<ColumnOptions, 'type' | 'transformer'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'bigint', transformer: fenTransformer });
}

/** bigint ids are read as numbers (see pg-types.ts). */
export const bigintNumberTransformer: ValueTransformer = fenTransformer;

/** Formats fen as yuan text for display and exports, e.g. 12345 -> "123.45". Never parse it back. */
export function formatYuan(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
