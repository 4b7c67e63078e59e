import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { JinliException } from './jinli.exception';

export interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) out.push({ field, problems: Object.values(e.constraints) });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

const PRIMITIVES: unknown[] = [String, Number, Boolean, Object, Array];

/**
 * Nest's pipe, minus two habits that let bad input through: it turns `:id` and query strings into
 * numbers before any param pipe runs (`/funders/1e3` became 1000, `0x10` became 16), and it
 * validates a JSON array or scalar body field by field as if it were an object.
 */
class JinliValidationPipe extends ValidationPipe {
  // Never coerce a primitive: IdPipe and friends see the text the client sent.
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && !PRIMITIVES.includes(metadata.metatype);
    if (metadata.type === 'body' && isDto && value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new JinliException('VALIDATION_FAILED', 'The request body must be a JSON object', [
          { field: '(body)', problems: ['must be a JSON object'] },
        ]);
      }
    }
    return super.transform(value, metadata);
  }
}

/** Global validation: unknown fields are refused, known ones are checked and transformed. */
export function createValidationPipe(): ValidationPipe {
  return new JinliValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // Never coerce: "100" is not a number of fen.
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const summary = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
      return new JinliException('VALIDATION_FAILED', `Invalid request: ${summary}`, details);
    },
  });
}
