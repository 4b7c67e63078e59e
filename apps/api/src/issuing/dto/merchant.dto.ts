import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { CATEGORY_CODES, DISTRICT_CODES, MerchantStatus } from '@jinli/contracts';
import { IdField } from '../../common/validators';

export class StoreDto {
  @ApiProperty({ example: '松鹤楼（观前街店）' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: DISTRICT_CODES })
  @IsIn(DISTRICT_CODES as string[])
  district: string;

  @ApiPropertyOptional({ example: '观前街72号' })
  @IsOptional()
  @IsString()
  @Length(0, 200)
  address?: string;
}

export class StaffAccountDto {
  @ApiProperty({ example: 'songhelou' })
  @Matches(/^[A-Za-z0-9_.-]{3,64}$/, { message: 'username must be 3-64 letters, digits, _ . or -' })
  username: string;

  @ApiProperty({ description: 'At least 10 characters with a letter and a digit' })
  @IsString()
  @Length(10, 128)
  password: string;

  @ApiProperty({ example: '王店长' })
  @IsString()
  @Length(1, 50)
  displayName: string;
}

export class MerchantApplicationDto {
  @ApiProperty({ example: '松鹤楼' })
  @IsString()
  @Length(2, 100)
  name: string;

  @ApiProperty({ enum: CATEGORY_CODES })
  @IsIn(CATEGORY_CODES as string[])
  category: string;

  @ApiProperty({ enum: DISTRICT_CODES })
  @IsIn(DISTRICT_CODES as string[])
  district: string;

  @ApiProperty({ example: '王经理' })
  @IsString()
  @Length(1, 50)
  contactName: string;

  @ApiProperty({ example: '13912345678' })
  @Matches(/^1[3-9]\d{9}$/, { message: 'contactPhone must be an 11-digit mainland mobile number' })
  contactPhone: string;

  @ApiProperty({ example: '苏州松鹤楼餐饮有限公司' })
  @IsString()
  @Length(2, 100)
  bankAccountName: string;

  @ApiProperty({ example: '中国银行苏州分行' })
  @IsString()
  @Length(2, 100)
  bankName: string;

  @ApiProperty({ example: '6217856100012345678' })
  @Matches(/^\d{8,30}$/, { message: 'bankAccountNo must be 8-30 digits' })
  bankAccountNo: string;

  @ApiProperty({ type: [StoreDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => StoreDto)
  stores: StoreDto[];

  @ApiProperty({ type: StaffAccountDto, description: "The owner's sign-in account" })
  @ValidateNested()
  @Type(() => StaffAccountDto)
  owner: StaffAccountDto;
}

export class ReasonDto {
  @ApiProperty({ example: '营业执照照片不清晰，请重新上传' })
  @IsString()
  @Length(2, 500)
  reason: string;
}

export class CashierDto extends StaffAccountDto {
  @IdField({ description: "The cashier's store (one of yours)" })
  storeId: number;
}

export class MerchantListQuery {
  @ApiPropertyOptional({ enum: Object.values(MerchantStatus) })
  @IsOptional()
  @IsIn(Object.values(MerchantStatus))
  status?: MerchantStatus;

  @ApiPropertyOptional({ enum: DISTRICT_CODES })
  @IsOptional()
  @IsIn(DISTRICT_CODES as string[])
  district?: string;

  @ApiPropertyOptional({ enum: CATEGORY_CODES })
  @IsOptional()
  @IsIn(CATEGORY_CODES as string[])
  category?: string;

  @ApiPropertyOptional({ example: 50 })
  @IsOptional()
  @Matches(/^\d{1,3}$/)
  limit?: string;

  @ApiPropertyOptional({ example: 0 })
  @IsOptional()
  @Matches(/^\d{1,9}$/)
  offset?: string;
}

export class CreateStaffDto extends StaffAccountDto {
  @ApiProperty({ enum: ['operator', 'finance', 'auditor'] })
  @IsIn(['operator', 'finance', 'auditor'])
  role: 'operator' | 'finance' | 'auditor';
}
