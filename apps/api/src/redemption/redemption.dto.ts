import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { Fen, IdField, IdQuery } from '../common/validators';

export class RedeemDto {
  @ApiProperty({ description: 'The scanned QR payload or the 18 digits', example: '123456789012345678' })
  @IsString()
  @Length(1, 200)
  code: string;

  @Fen({ min: 1, description: 'Order amount before the discount', example: 12800 })
  orderAmountFen: number;

  @IdField({ description: 'The store where the order is paid' })
  storeId: number;

  @ApiPropertyOptional({
    description:
      "The till's order number: an order takes one voucher, and it tells two purchases of one customer apart",
    example: 'POS-0001',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,64}$/, { message: 'orderRef must be 1-64 printable ASCII characters' })
  orderRef?: string;

  @IdField({
    big: true,
    optional: true,
    description: 'The voucher a preview showed; a code of another voucher is refused',
  })
  voucherId?: number;
}

export class RefundDto {
  @Fen({ min: 1, description: 'Amount refunded to the customer for returned goods', example: 12800 })
  refundAmountFen: number;

  @IdField({ description: 'The store where the refund happens (any store of the merchant)' })
  storeId: number;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}

export class DayQuery {
  @ApiPropertyOptional({ description: 'Business day YYYY-MM-DD (Asia/Shanghai); today when absent' })
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'day must be YYYY-MM-DD' })
  day?: string;
}

export class OwnerDayQuery extends DayQuery {
  @IdQuery({ description: 'One store only' })
  storeId?: string;
}

export class MyVouchersQuery {
  @ApiPropertyOptional({ enum: ['claimed', 'redeemed', 'expired', 'void'] })
  @IsOptional()
  @IsIn(['claimed', 'redeemed', 'expired', 'void'])
  state?: 'claimed' | 'redeemed' | 'expired' | 'void';
}
