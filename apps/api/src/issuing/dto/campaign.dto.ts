import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, ValidateNested } from 'class-validator';
import { Fen, IdField, Instant, IntField, Omittable } from '../../common/validators';

export class FunderShareDto {
  @IdField({ description: 'Funder id' })
  funderId: number;

  @IntField({
    min: 1,
    max: 10_000,
    description: 'Share in basis points (7000 = 70%); shares sum to 10000',
    example: 7000,
  })
  shareBp: number;
}

export class CreateCampaignDto {
  @ApiProperty({ example: '乐享美食季' })
  @IsString()
  @Length(2, 100)
  name: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @Instant({ description: 'Start', example: '2020-07-04T00:00:00+08:00' })
  startsAt: Date;

  @Instant({ description: 'End (exclusive)', example: '2020-09-04T00:00:00+08:00' })
  endsAt: Date;

  @Fen({ min: 1, description: 'Budget: the most the campaign may give out', example: 3_000_000_000 })
  budgetFen: number;

  @ApiProperty({ type: [FunderShareDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => FunderShareDto)
  funders: FunderShareDto[];
}

export class UpdateCampaignDto extends PartialType(CreateCampaignDto, { skipNullProperties: false }) {
  @IntField({
    min: 1,
    max: 2_000_000_000,
    description: 'The version you edited (optimistic locking)',
    optional: true,
    notNull: true,
  })
  version?: number;
}
