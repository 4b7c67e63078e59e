import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches, ValidateBy } from 'class-validator';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date as YYYY-MM-DD. */
export function isBusinessDay(value: unknown): boolean {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** A business day (Asia/Shanghai date) as `YYYY-MM-DD`. */
export function BusinessDay(options: { description: string; optional?: boolean; example?: string }) {
  const doc = {
    type: 'string' as const,
    format: 'date',
    description: options.description,
    example: options.example ?? '2020-07-04',
  };
  return applyDecorators(
    ...(options.optional ? [IsOptional(), ApiPropertyOptional(doc)] : [ApiProperty(doc)]),
    Matches(DAY, { message: '$property must be a date as YYYY-MM-DD' }),
    ValidateBy({
      name: 'isBusinessDay',
      validator: { validate: isBusinessDay, defaultMessage: () => '$property must be a real calendar date' },
    }),
  );
}
