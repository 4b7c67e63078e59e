import { Body, Controller, Get, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';
import { Role, STAFF_ROLES } from '@jinli/contracts';
import { Actor, CitizenAuthService, CurrentActor, Public, Roles, StaffAuthService } from '@jinli/platform';
import { API } from '../common/api';
import {
  ChangePasswordDto,
  CitizenSignInDto,
  RequestCodeDto,
  StaffSignInDto,
  VerifyIdentityDto,
} from './auth.dto';

@ApiTags('auth')
// Per-address limits on guessing: the @Throttle values below only apply through this guard.
@UseGuards(ThrottlerGuard)
@Controller(`${API}/auth`)
export class AuthController {
  constructor(
    private readonly citizens: CitizenAuthService,
    private readonly staff: StaffAuthService,
  ) {}

  @Public()
  @Throttle({ default: { limit: 10, ttl: 60_000 } })
  @Post('citizen/code')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a six-digit sign-in code by SMS (development: also returned as devCode)' })
  requestCode(@Body() dto: RequestCodeDto, @Ip() ip: string) {
    return this.citizens.requestCode(dto.phone, ip);
  }

  @Public()
  @Throttle({ default: { limit: 20, ttl: 60_000 } })
  @Post('citizen/sign-in')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in as a citizen with the phone number and the code' })
  citizenSignIn(@Body() dto: CitizenSignInDto) {
    return this.citizens.signIn(dto.phone, dto.code);
  }

  @Public()
  @Throttle({ default: { limit: 20, ttl: 60_000 } })
  @Post('staff/sign-in')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in as merchant staff, operator, finance reviewer or auditor' })
  staffSignIn(@Body() dto: StaffSignInDto) {
    return this.staff.signIn(dto.username, dto.password);
  }

  @Roles(...STAFF_ROLES)
  @ApiBearerAuth()
  @Post('staff/password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change my password' })
  async changePassword(@CurrentActor() actor: Actor, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.staff.changePassword(actor.id, dto.currentPassword, dto.newPassword);
  }

  @Roles(Role.Citizen, ...STAFF_ROLES)
  @ApiBearerAuth()
  @Get('me')
  @ApiOperation({ summary: 'Who am I' })
  me(@CurrentActor() actor: Actor) {
    return actor.role === Role.Citizen ? this.citizens.profile(actor.id) : this.staff.profile(actor.id);
  }

  @Roles(Role.Citizen)
  @ApiBearerAuth()
  @Post('citizen/verification')
  @HttpCode(200)
  @ApiOperation({ summary: 'Real-name verification: bind my ID number (kept only as a salted hash)' })
  verify(@CurrentActor() actor: Actor, @Body() dto: VerifyIdentityDto) {
    return this.citizens.verifyIdentity(actor.id, dto.idNumber);
  }
}
