import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { CATEGORY_CODES, DISTRICT_CODES, RefundPolicy, ValidityKind } from '@jinli/contracts';
import { Fen, IdList, Instant, IntField, Omittable } from '../../common/validators';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class UsageWindowDto {
  @ApiProperty({ example: '20:30' })
  @Matches(HHMM, { message: 'start must be HH:mm' })
  start: string;

  @ApiProperty({ example: '02:00', description: 'At or before start: the window crosses midnight' })
  @Matches(HHMM, { message: 'end must be HH:mm' })
  end: string;
}

export class ValidityDto {
  @ApiProperty({ enum: Object.values(ValidityKind) })
  @IsIn(Object.values(ValidityKind))
  kind: ValidityKind;

  @Instant({ description: 'Fixed validity: from', optional: true })
  from?: Date;

  @Instant({ description: 'Fixed validity: until', optional: true })
  until?: Date;

  @IntField({ min: 1, max: 366, description: 'Relative validity: days after the claim', optional: true })
  days?: number;
}

export class RoundDto {
  @Instant({ description: 'When the round opens', example: '2020-07-04T10:00:00+08:00' })
  opensAt: Date;

  @Instant({ description: 'When it closes (default: when the next opens)', optional: true })
  closesAt?: Date | null;

  @IntField({ min: 1, max: 100_000_000, description: 'Vouchers this round hands out', example: 10_000 })
  quota: number;
}

export class CreateBatchDto {
  @ApiProperty({ example: '满100减30' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @Fen({ min: 1, description: 'Face value: the discount', example: 3000 })
  faceValueFen: number;

  @Fen({ min: 1, description: 'Threshold: the least order amount', example: 10000 })
  thresholdFen: number;

  @ApiPropertyOptional({ enum: CATEGORY_CODES, isArray: true, description: 'Empty: every category' })
  @Omittable()
  @IsArray()
  @IsIn(CATEGORY_CODES as string[], { each: true })
  allowedCategories?: string[];

  @ApiPropertyOptional({ enum: DISTRICT_CODES, isArray: true, description: 'Empty: every district' })
  @Omittable()
  @IsArray()
  @IsIn(DISTRICT_CODES as string[], { each: true })
  allowedDistricts?: string[];

  @ApiPropertyOptional({ type: [Number], description: 'When not empty: only these merchants' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IdList()
  merchantWhitelist?: number[];

  @ApiProperty({ type: ValidityDto })
  @ValidateNested()
  @Type(() => ValidityDto)
  validity: ValidityDto;

  @ApiPropertyOptional({ type: [UsageWindowDto] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(6)
  @ValidateNested({ each: true })
  @Type(() => UsageWindowDto)
  usageWindows?: UsageWindowDto[];

  @IntField({ min: 1, max: 100_000_000, description: 'Total vouchers', example: 100_000 })
  quota: number;

  @IntField({
    min: 1,
    max: 100,
    description: 'Vouchers one citizen may hold',
    optional: true,
    notNull: true,
    example: 1,
  })
  perCitizenLimit?: number;

  @ApiPropertyOptional({
    enum: [1],
    default: 1,
    description:
      'Vouchers one order may use: always 1 (a redemption records the whole order amount; splitting an order between vouchers is not supported)',
  })
  @Omittable()
  @IsIn([1], { message: 'vouchersPerOrder must be 1: Jinli takes one voucher per order' })
  vouchersPerOrder?: number;

  @ApiPropertyOptional({ description: 'Only real-name verified citizens may claim' })
  @Omittable()
  @IsBoolean()
  requiresVerified?: boolean;

  @ApiPropertyOptional({ description: 'Quota left in a round rolls into the next' })
  @Omittable()
  @IsBoolean()
  rollOverUnclaimed?: boolean;

  @ApiPropertyOptional({ description: 'Quota of expired, unredeemed vouchers returns to a later round' })
  @Omittable()
  @IsBoolean()
  recycleExpired?: boolean;

  @ApiPropertyOptional({ enum: Object.values(RefundPolicy) })
  @Omittable()
  @IsIn(Object.values(RefundPolicy))
  refundPolicy?: RefundPolicy;

  @ApiProperty({ type: [RoundDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(400)
  @ValidateNested({ each: true })
  @Type(() => RoundDto)
  rounds: RoundDto[];
}

export class UpdateBatchDto extends PartialType(CreateBatchDto, { skipNullProperties: false }) {
  @IntField({
    min: 1,
    max: 2_000_000_000,
    description: 'The version you edited (optimistic locking)',
    optional: true,
    notNull: true,
  })
  version?: number;
}
