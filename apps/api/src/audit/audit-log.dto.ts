import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { Role } from '@jinli/contracts';
import { IdQuery, Instant } from '../common/validators';

export class AuditLogQueryDto {
  @ApiPropertyOptional({
    example: 'redemption.',
    description: 'An exact action, or a prefix ending in a dot (every action of that entity)',
  })
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,63}(\.[a-z0-9_]*){0,3}$/, {
    message: 'action must look like campaign.publish or redemption.',
  })
  action?: string;

  @ApiPropertyOptional({ example: 'voucher_batch' })
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,63}$/)
  entityType?: string;

  @ApiPropertyOptional({ example: '42' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/)
  entityId?: string;

  @ApiPropertyOptional({ enum: ['ok', 'denied'] })
  @IsOptional()
  @IsIn(['ok', 'denied'])
  outcome?: 'ok' | 'denied';

  @ApiPropertyOptional({ enum: Object.values(Role) })
  @IsOptional()
  @IsIn(Object.values(Role))
  actorRole?: string;

  @Instant({ description: 'From (inclusive)', optional: true })
  from?: Date;

  @Instant({ description: 'Until (exclusive)', optional: true })
  until?: Date;

  @IdQuery({ big: true, description: 'Entries older than this id (from nextBeforeId)' })
  beforeId?: string;

  @ApiPropertyOptional({ example: 50, description: '1-200' })
  @IsOptional()
  @Matches(/^\d{1,3}$/)
  limit?: string;
}
