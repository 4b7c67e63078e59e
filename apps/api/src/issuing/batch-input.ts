import { BatchInput, IssuingException, ValidityInput } from '@jinli/issuing';
import { CreateBatchDto, UpdateBatchDto, ValidityDto } from './dto/batch.dto';

export function toValidity(v: ValidityDto): ValidityInput {
  if (v.kind === 'fixed') {
    if (!v.from || !v.until || v.days !== undefined) {
      throw new IssuingException(
        'BATCH_VALIDITY_INVALID',
        'A fixed validity needs from and until (and no days)',
      );
    }
    return { kind: 'fixed', from: v.from, until: v.until };
  }
  if (v.days === undefined || v.from || v.until) {
    throw new IssuingException(
      'BATCH_VALIDITY_INVALID',
      'A relative validity needs days (and no from/until)',
    );
  }
  return { kind: 'relative', days: v.days };
}

export function toBatchInput(dto: CreateBatchDto): BatchInput {
  return { ...dto, validity: toValidity(dto.validity) };
}

export function toBatchPatch(dto: UpdateBatchDto): Partial<BatchInput> & { version?: number } {
  const { validity, ...rest } = dto;
  return { ...rest, ...(validity ? { validity: toValidity(validity) } : {}) };
}
