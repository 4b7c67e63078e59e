import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CATEGORY_CODES, DISTRICT_CODES } from '@jinli/contracts';
import { REPORT_GROUPS, ReportGroup, ReportQuery } from '@jinli/reporting';
import { IdQuery } from '../common/validators';
import { BusinessDay } from '../settlement/business-day';

export class LeverageReportQuery {
  @BusinessDay({ description: 'First business day (redemptions and claims of that day on)' })
  fromDay: string;

  @BusinessDay({ description: 'Last business day' })
  toDay: string;

  @ApiProperty({ enum: REPORT_GROUPS, default: 'total' })
  @IsOptional()
  @IsIn(REPORT_GROUPS)
  groupBy?: ReportGroup;

  @IdQuery()
  campaignId?: string;

  @IdQuery()
  batchId?: string;

  @IdQuery()
  funderId?: string;

  @ApiPropertyOptional({ enum: DISTRICT_CODES })
  @IsOptional()
  @IsIn(DISTRICT_CODES as string[])
  district?: string;

  @ApiPropertyOptional({ enum: CATEGORY_CODES })
  @IsOptional()
  @IsIn(CATEGORY_CODES as string[])
  category?: string;

  @IdQuery()
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
