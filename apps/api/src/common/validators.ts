import { applyDecorators, ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min } from 'class-validator';
import { JinliException } from '@jinli/platform';

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
}) {
  const doc = {
    type: 'integer' as const,
    minimum: options.min,
    maximum: options.max,
    description: options.description,
    example: options.example,
  };
  return applyDecorators(
    ...(options.optional ? [IsOptional(), ApiPropertyOptional(doc)] : [ApiProperty(doc)]),
    IsInt(),
    Min(options.min),
    Max(options.max),
  );
}

/** Route ids: positive integers, or a 400 naming the parameter. */
@Injectable()
export class IdPipe implements PipeTransform<string, number> {
  transform(value: string, meta: ArgumentMetadata): number {
    if (!/^[1-9]\d{0,15}$/.test(value ?? '')) {
      throw new JinliException('VALIDATION_FAILED', `${meta.data ?? 'id'} must be a positive integer`, [
        { field: meta.data ?? 'id', problems: ['must be a positive integer'] },
      ]);
    }
    return Number(value);
  }
}
