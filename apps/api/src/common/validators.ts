import { applyDecorators, ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { JinliException } from '@jinli/platform';

/**
 * A field that may be left out but is never null: unlike IsOptional (which skips null too), null is
 * validated and refused. For fields whose column is NOT NULL, so that `{"description": null}` in an
 * edit is a 400, not a database error.
 */
export function Omittable(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/** Largest amount any single money field may hold: 10 billion CNY in fen. */
export const MAX_FEN = 1_000_000_000_000;

/**
 * A money field: a JSON integer number of fen. Strings ("100"), fractions (1.5), negatives, NaN,
 * full-width digits and absurd sizes are refused with 400, never coerced.
 */
export function Fen(options: { min?: number; description: string; example?: number; optional?: boolean }) {
  const doc = {
    type: 'integer' as const,
    minimum: options.min ?? 0,
    maximum: MAX_FEN,
    description: `${options.description} (fen)`,
    example: options.example,
  };
  return applyDecorators(
    ...(options.optional ? [IsOptional(), ApiPropertyOptional(doc)] : [ApiProperty(doc)]),
    IsInt({ message: '$property must be an integer number of fen' }),
    Min(options.min ?? 0),
    Max(MAX_FEN),
  );
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant as ISO 8601 text with an offset, e.g. `2020-07-04T10:00:00+08:00`, turned into a Date. */
export function Instant(options: { description: string; example?: string; optional?: boolean }) {
  const doc = {
    type: 'string' as const,
    format: 'date-time',
    description: options.description,
    example: options.example ?? '2020-07-04T10:00:00+08:00',
  };
  return applyDecorators(
    ...(options.optional
      ? [IsOptional(), ApiPropertyOptional({ ...doc, nullable: true })]
      : [ApiProperty(doc)]),
    Transform(({ value }) => {
      if (typeof value !== 'string' || !INSTANT.test(value)) return value;
      const d = new Date(value);
      return Number.isNaN(d.getTime()) ? value : d;
    }),
    IsDate({
      message: '$property must be an ISO 8601 date-time with an offset, e.g. 2020-07-04T10:00:00+08:00',
    }),
  );
}

export function IntField(options: {
  min: number;
  max: number;
  description: string;
  example?: number;
  optional?: boolean;
  /** With optional: may be left out, but null is refused (see Omittable). */
  notNull?: boolean;
}) {
  const doc = {
    type: 'integer' as const,
    minimum: options.min,
    maximum: options.max,
    description: options.description,
    example: options.example,
  };
  return applyDecorators(
    ...(options.optional
      ? [options.notNull ? Omittable() : IsOptional(), ApiPropertyOptional(doc)]
      : [ApiProperty(doc)]),
    IsInt(),
    Min(options.min),
    Max(options.max),
  );
}

/** Largest id of an `integer` (int4) column. */
export const MAX_INT_ID = 2_147_483_647;

/**
 * An id in a query string (always optional there): plain decimal digits from 1 to the column's
 * largest id, `integer` (2^31-1) unless `big` (a `bigint` column: 2^53-1). A larger one would make
 * PostgreSQL fail the cast instead of finding nothing.
 */
export function IdQuery(options: { description?: string; big?: boolean } = {}) {
  const max = options.big ? Number.MAX_SAFE_INTEGER : MAX_INT_ID;
  return applyDecorators(
    ApiPropertyOptional({ type: 'string', pattern: '^[1-9][0-9]*$', description: options.description }),
    IsOptional(),
    ValidateBy({
      name: 'isId',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && /^[1-9]\d{0,15}$/.test(v) && Number(v) <= max,
        defaultMessage: () => `$property must be a whole number from 1 to ${max}`,
      },
    }),
  );
}

/** An id in a JSON body: an integer from 1 to the column's largest id (`integer` unless `big`). */
export function IdField(options: { description: string; optional?: boolean; big?: boolean }) {
  return IntField({
    min: 1,
    max: options.big ? Number.MAX_SAFE_INTEGER : MAX_INT_ID,
    description: options.description,
    optional: options.optional,
  });
}

/** A list of ids in a JSON body, each an integer from 1 to the column's largest id. */
export function IdList(options: { big?: boolean } = {}) {
  const max = options.big ? Number.MAX_SAFE_INTEGER : MAX_INT_ID;
  const message = `each of $property must be a whole number from 1 to ${max}`;
  return applyDecorators(
    IsInt({ each: true, message }),
    Min(1, { each: true, message }),
    Max(max, { each: true, message }),
  );
}

function parseId(value: unknown, meta: ArgumentMetadata, max: number): number {
  const field = meta.data ?? 'id';
  // Plain decimal digits only: no signs, exponents, hex, leading zeros or spaces.
  const n = typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : NaN;
  if (!(n <= max)) {
    throw new JinliException('VALIDATION_FAILED', `${field} must be a whole number from 1 to ${max}`, [
      { field, problems: [`must be a whole number from 1 to ${max}`] },
    ]);
  }
  return n;
}

/** Ids of `integer` identity columns (funders, campaigns, batches, merchants, stores, staff): 1 to 2^31-1. */
@Injectable()
export class IdPipe implements PipeTransform<string, number> {
  transform(value: string, meta: ArgumentMetadata): number {
    return parseId(value, meta, MAX_INT_ID);
  }
}

/** Ids of `bigint` identity columns (vouchers, redemptions, refunds, statements): up to 2^53-1. */
@Injectable()
export class BigIdPipe implements PipeTransform<string, number> {
  transform(value: string, meta: ArgumentMetadata): number {
    return parseId(value, meta, Number.MAX_SAFE_INTEGER);
  }
}
