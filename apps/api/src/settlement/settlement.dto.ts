import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { LedgerAccount, StatementStatus } from '@jinli/contracts';
import { IdField, IdList, IdQuery } from '../common/validators';
import { BusinessDay } from './business-day';

export class StartRunDto {
  @BusinessDay({ description: 'First business day to settle' })
  fromDay: string;

  @BusinessDay({ description: 'Last business day to settle (must have ended)' })
  toDay: string;
}

export class PageQuery {
  @ApiPropertyOptional({ example: 50 })
  @IsOptional()
  @Matches(/^\d{1,4}$/)
  limit?: string;

  @ApiPropertyOptional({ example: 0 })
  @IsOptional()
  @Matches(/^\d{1,9}$/)
  offset?: string;
}

export class StatementListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: Object.values(StatementStatus) })
  @IsOptional()
  @IsIn(Object.values(StatementStatus))
  status?: StatementStatus;

  @BusinessDay({ description: 'Statements of this business day', optional: true })
  businessDay?: string;

  @BusinessDay({ description: 'Statements from this business day', optional: true })
  fromDay?: string;

  @BusinessDay({ description: 'Statements up to this business day', optional: true })
  toDay?: string;

  @IdQuery()
  merchantId?: string;

  @IdQuery()
  funderId?: string;

  @IdQuery({ big: true })
  runId?: string;

  @IdQuery({ big: true })
  payoutId?: string;
}

/** Approval takes no figures (finance approves, it never edits amounts): at most a note for the audit log. */
export class ApproveDto {
  @ApiPropertyOptional({ example: '已核对明细' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  note?: string;
}

export class ReasonDto {
  @ApiProperty({ example: '收款账户信息有误，请商户更正后重新结算' })
  @IsString()
  @Length(2, 500)
  reason: string;
}

export class OptionalReasonDto {
  @ApiPropertyOptional({ example: '核实无误，释放待下次结算' })
  @IsOptional()
  @IsString()
  @Length(2, 500)
  reason?: string;
}

export class BulkApproveDto extends ApproveDto {
  @ApiProperty({ type: [Number], description: 'Statements to approve together (all or nothing)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5000)
  @IdList({ big: true })
  ids: number[];
}

export class CreatePayoutDto {
  @IdField({ description: 'Only this funder’s statements (its bank account pays the file)', optional: true })
  funderId?: number;

  @ApiPropertyOptional({ type: [Number], description: 'Only these approved statements' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20000)
  @IdList({ big: true })
  statementIds?: number[];
}

export class FailedTransferDto {
  @IdField({ description: 'Funder of the transfer row' })
  funderId: number;

  @IdField({ description: 'Merchant of the transfer row' })
  merchantId: number;

  @ApiProperty({ example: '收款账户已销户，银行退回' })
  @IsString()
  @Length(2, 500)
  reason: string;
}

export class MarkPaidDto {
  @ApiProperty({ example: 'ICBC-20200705-000123', description: 'The bank’s reference of the transfer batch' })
  @IsString()
  @Length(3, 100)
  bankReference: string;

  @ApiPropertyOptional({
    type: [FailedTransferDto],
    description:
      'Transfers the bank could not make: the rest is paid; their statements go back to approved for the next payout',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20000)
  @ValidateNested({ each: true })
  @Type(() => FailedTransferDto)
  failedRows?: FailedTransferDto[];
}

export class CancelPayoutDto {
  @ApiProperty({ example: '付款文件金额有误，作废重出' })
  @IsString()
  @Length(2, 500)
  reason: string;

  @ApiPropertyOptional({
    example: true,
    description:
      'Required (true) once the bank file was downloaded (fileDownloadCount > 0): the reviewer confirms the bank did not receive it, since the next payout pays its statements again; without it 409 PAYOUT_FILE_DOWNLOADED',
  })
  @IsOptional()
  @IsBoolean()
  bankDidNotReceive?: boolean;
}

export class ClawbackQuery {
  @IdQuery()
  funderId?: string;

  @IdQuery()
  merchantId?: string;
}

export class BalancesQuery {
  @ApiPropertyOptional({ enum: Object.values(LedgerAccount) })
  @IsOptional()
  @IsIn(Object.values(LedgerAccount))
  account?: LedgerAccount;

  @IdQuery()
  funderId?: string;

  @IdQuery()
  merchantId?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  byMerchant?: string;
}

export class AuditQuery {
  @IdQuery({ description: 'Only the money of this funder' })
  funderId?: string;
}
