import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Role } from '@jinli/contracts';
import { AuditService } from '../audit/audit.service';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../clock/clock';
import { isConstraintViolation } from '../database/transaction';
import { JinliException } from '../errors/jinli.exception';
import { hashIdNumber, isValidIdNumber, maskPhone } from '../privacy/masking';
import { RedisService } from '../redis/redis.service';
import { CitizenEntity } from './citizen.entity';
import { SmsSender } from './sms-sender';
import { TokenService } from './token.service';

export const PHONE_RULE = /^1[3-9]\d{9}$/;

export interface CitizenView {
  id: number;
  phoneMasked: string;
  verified: boolean;
}

/** Sign-in for citizens: a phone number and a six-digit one-time code sent by SMS. */
@Injectable()
export class CitizenAuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly sms: SmsSender,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async requestCode(
    phone: string,
    ip: string,
  ): Promise<{ expiresInS: number; resendAfterS: number; devCode?: string }> {
    const { otpTtlS, otpResendIntervalS } = this.config.auth;
    const r = this.redis.client;
    if (otpResendIntervalS > 0) {
      const ok = await r.set(this.redis.key('otp-resend', phone), '1', 'EX', otpResendIntervalS, 'NX');
      if (!ok) {
        const ttl = await r.ttl(this.redis.key('otp-resend', phone));
        throw new JinliException(
          'AUTH_OTP_TOO_FREQUENT',
          'A code was sent moments ago; wait before asking again',
          {
            retryAfterS: Math.max(ttl, 1),
          },
        );
      }
    }
    // One address may ask for a few codes an hour (SMS costs money and can be abused).
    const ipKey = this.redis.key('otp-ip', ip);
    const [[, perIp]] = (await r.multi().incr(ipKey).expire(ipKey, 3600, 'NX').exec()) as [
      [null, number],
      unknown,
    ];
    if (perIp > this.config.auth.otpMaxPerIpPerHour)
      throw new JinliException('RATE_LIMITED', 'Too many codes requested from this network; try later');

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = this.clock.nowMs() + otpTtlS * 1000;
    const key = this.redis.key('otp', phone);
    await r
      .multi()
      .del(key)
      .hset(key, { h: this.digest(phone, code), exp: expiresAt, n: 0 })
      .expire(key, otpTtlS + 60)
      .exec();
    await this.sms.send(
      phone,
      `【锦鲤消费券】验证码 ${code}，${Math.round(otpTtlS / 60)} 分钟内有效。请勿告诉他人。`,
    );
    const dev = this.sms.revealsCodes && this.config.env !== 'production';
    return { expiresInS: otpTtlS, resendAfterS: otpResendIntervalS, ...(dev ? { devCode: code } : {}) };
  }

  async signIn(
    phone: string,
    code: string,
  ): Promise<{ accessToken: string; expiresAt: string; citizen: CitizenView }> {
    const r = this.redis.client;
    const key = this.redis.key('otp', phone);
    const stored = await r.hgetall(key);
    if (!stored.h)
      throw new JinliException('AUTH_OTP_INVALID', 'The code is wrong or was never sent; ask for a new one');
    if (Number(stored.exp) <= this.clock.nowMs()) {
      await r.del(key);
      throw new JinliException('AUTH_OTP_EXPIRED', 'The code has expired; ask for a new one');
    }
    const attempts = await r.hincrby(key, 'n', 1);
    if (attempts > this.config.auth.otpMaxAttempts) {
      await r.del(key);
      throw new JinliException('AUTH_OTP_TOO_MANY_ATTEMPTS', 'Too many wrong codes; ask for a new one');
    }
    const expected = Buffer.from(stored.h, 'hex');
    const given = Buffer.from(this.digest(phone, code), 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new JinliException('AUTH_OTP_INVALID', 'The code is wrong', {
        attemptsLeft: Math.max(this.config.auth.otpMaxAttempts - attempts, 0),
      });
    }
    await r.del(key);

    const now = this.clock.now();
    const [row] = (await this.dataSource.query(
      `INSERT INTO citizen (phone, created_at, last_login_at) VALUES ($1, $2, $2)
       ON CONFLICT ON CONSTRAINT uq_citizen_phone DO UPDATE SET last_login_at = EXCLUDED.last_login_at
       RETURNING id, phone, verified`,
      [phone, now],
    )) as { id: number; phone: string; verified: boolean }[];
    const token = this.tokens.issue({ id: row.id, role: Role.Citizen }, now.getTime());
    return { ...token, citizen: { id: row.id, phoneMasked: maskPhone(row.phone), verified: row.verified } };
  }

  /**
   * Real-name verification: binds an ID number (kept only as a salted hash) to the account, once.
   * One ID number verifies one account and an account keeps its ID number for good, so one person
   * cannot claim under several phones by moving a verification from one account to another. The same
   * ID number again is a no-op. Every attempt is in the audit log (never the number or its hash).
   */
  async verifyIdentity(citizenId: number, idNumber: string): Promise<CitizenView> {
    if (!isValidIdNumber(idNumber)) {
      throw new JinliException('VALIDATION_FAILED', 'The ID number is not valid', [
        { field: 'idNumber', problems: ['check digit'] },
      ]);
    }
    const actor = { id: citizenId, role: Role.Citizen };
    const refuse = async (code: 'AUTH_ALREADY_VERIFIED' | 'AUTH_ID_NUMBER_TAKEN', message: string) => {
      await this.audit.record({
        actor,
        action: 'citizen.verify',
        entityType: 'citizen',
        entityId: citizenId,
        outcome: 'denied',
        details: { reason: code },
      });
      return new JinliException(code, message);
    };
    const hash = hashIdNumber(idNumber, this.config.auth.idHashSalt);
    let row: { id: number; phone: string; verified: boolean; already: boolean } | undefined;
    try {
      // Binds only an account without an ID number (the condition is on c, so a concurrent binding
      // is re-checked after its commit); the same number again changes nothing.
      const rows = (await this.dataSource.query(
        `WITH before AS (SELECT id, id_number_hash FROM citizen WHERE id = $1)
         UPDATE citizen c SET verified = true, id_number_hash = $2
           FROM before b
          WHERE c.id = b.id AND (c.id_number_hash IS NULL OR c.id_number_hash = $2)
         RETURNING c.id, c.phone, c.verified, b.id_number_hash IS NOT NULL AS already`,
        [citizenId, hash],
      )) as [{ id: number; phone: string; verified: boolean; already: boolean }[], number];
      row = rows[0][0];
    } catch (e) {
      if (isConstraintViolation(e, 'uq_citizen_id_number_hash'))
        throw await refuse('AUTH_ID_NUMBER_TAKEN', 'This ID number is already bound to another account');
      throw e;
    }
    if (!row) {
      const exists = (await this.dataSource.query(`SELECT 1 FROM citizen WHERE id = $1`, [
        citizenId,
      ])) as unknown[];
      if (!exists.length) throw new JinliException('NOT_FOUND', 'Citizen not found');
      throw await refuse(
        'AUTH_ALREADY_VERIFIED',
        'This account is already verified with another ID number; a verification cannot be changed',
      );
    }
    await this.audit.record({
      actor,
      action: 'citizen.verify',
      entityType: 'citizen',
      entityId: citizenId,
      details: { result: row.already ? 'already_verified' : 'verified' },
    });
    return { id: row.id, phoneMasked: maskPhone(row.phone), verified: row.verified };
  }

  async profile(citizenId: number): Promise<CitizenView> {
    const c = await this.dataSource.getRepository(CitizenEntity).findOneBy({ id: citizenId });
    if (!c) throw new JinliException('NOT_FOUND', 'Citizen not found');
    return { id: c.id, phoneMasked: maskPhone(c.phone), verified: c.verified };
  }

  private digest(phone: string, code: string): string {
    return createHash('sha256').update(`${this.config.auth.jwtSecret}|${phone}|${code}`).digest('hex');
  }
}
