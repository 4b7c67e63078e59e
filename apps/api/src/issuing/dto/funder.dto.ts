import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { DISTRICT_CODES, FunderKind } from '@jinli/contracts';
import { Fen } from '../../common/validators';

export class CreateFunderDto {
  @ApiProperty({ example: '苏州市财政局' })
  @IsString()
  @Length(2, 100)
  name: string;

  @ApiProperty({ enum: Object.values(FunderKind) })
  @IsIn(Object.values(FunderKind))
  kind: FunderKind;

  @ApiPropertyOptional({ enum: DISTRICT_CODES, nullable: true, description: 'For a district funder' })
  @IsOptional()
  @IsIn(DISTRICT_CODES as string[])
  district?: string | null;

  @Fen({ min: 0, description: 'Total budget', example: 5_000_000_000 })
  budgetFen: number;
}

export class UpdateFunderDto extends PartialType(CreateFunderDto, { skipNullProperties: false }) {}
