import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class RequestCodeDto {
  @ApiProperty({ example: '13812345678', description: 'Mainland mobile number' })
  @IsString()
  @Matches(/^1[3-9]\d{9}$/, { message: 'phone must be an 11-digit mainland mobile number' })
  phone: string;
}

export class CitizenSignInDto extends RequestCodeDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}

export class StaffSignInDto {
  @ApiProperty({ example: 'operator' })
  @IsString()
  @Length(3, 64)
  username: string;

  @ApiProperty({ example: 'Jinli-operator-2020' })
  @IsString()
  @Length(1, 128)
  password: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  currentPassword: string;

  @ApiProperty({ description: 'At least 10 characters with a letter and a digit' })
  @IsString()
  @Length(10, 128)
  newPassword: string;
}

export class VerifyIdentityDto {
  @ApiProperty({
    example: '11010519491231002X',
    description: 'Resident ID number; stored only as a salted hash',
  })
  @IsString()
  @Matches(/^\d{17}[\dXx]$/, { message: 'idNumber must be 18 characters: 17 digits and a digit or X' })
  idNumber: string;
}
