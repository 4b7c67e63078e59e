import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { CATEGORY_CODES, DISTRICT_CODES } from '@jinli/contracts';
import { REPORT_GROUPS, ReportGroup, ReportQuery } from '@jinli/reporting';
import { BusinessDay } from '../settlement/business-day';

const ID = /^[1-9]\d{0,9}$/;

export class LeverageReportQuery {
  @BusinessDay({ description: 'First business day (redemptions and claims of that day on)' })
  fromDay: string;

  @BusinessDay({ description: 'Last business day' })
  toDay: string;

  @ApiProperty({ enum: REPORT_GROUPS, default: 'total' })
  @IsOptional()
  @IsIn(REPORT_GROUPS)
  groupBy?: ReportGroup;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID)
  campaignId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID)
  batchId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID)
  funderId?: string;

  @ApiPropertyOptional({ enum: DISTRICT_CODES })
  @IsOptional()
  @IsIn(DISTRICT_CODES as string[])
  district?: string;

  @ApiPropertyOptional({ enum: CATEGORY_CODES })
  @IsOptional()
  @IsIn(CATEGORY_CODES as string[])
  category?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID)
  merchantId?: string;
}

export function toReportQuery(q: LeverageReportQuery): ReportQuery {
  const num = (v?: string) => (v === undefined ? undefined : Number(v));
  return {
    fromDay: q.fromDay,
    toDay: q.toDay,
    groupBy: q.groupBy ?? 'total',
    campaignId: num(q.campaignId),
    batchId: num(q.batchId),
    funderId: num(q.funderId),
    district: q.district,
    category: q.category,
    merchantId: num(q.merchantId),
  };
}
