import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Role } from '@jinli/contracts';
import { AuditQueryService, Roles } from '@jinli/platform';
import { API } from '../common/api';
import { AuditLogQueryDto } from './audit-log.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller(`${API}/audit-log`)
export class AuditLogController {
  constructor(private readonly audit: AuditQueryService) {}

  @Roles(Role.Auditor, Role.Operator)
  @Get()
  @ApiOperation({
    summary: 'The audit log, newest first, filtered by action or entity; phone numbers masked',
  })
  list(@Query() q: AuditLogQueryDto) {
    return this.audit.list({
      ...q,
      beforeId: q.beforeId ? Number(q.beforeId) : undefined,
      limit: q.limit ? Number(q.limit) : undefined,
    });
  }
}
