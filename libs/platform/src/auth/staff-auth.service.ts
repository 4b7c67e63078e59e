import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { StaffRole } from '@jinli/contracts';
import { AuditService } from '../audit/audit.service';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../clock/clock';
import { isConstraintViolation } from '../database/transaction';
import { JinliException } from '../errors/jinli.exception';
import { maskPhone } from '../privacy/masking';
import { Actor } from './actor';
import { PASSWORD_RULE, PasswordHasher } from './password-hasher';
import { StaffAccountEntity } from './staff-account.entity';
import { TokenService } from './token.service';

export interface StaffView {
  id: number;
  username: string;
  role: StaffRole;
  displayName: string;
  phoneMasked: string;
  merchantId: number | null;
  storeId: number | null;
  active: boolean;
}

export interface NewStaffAccount {
  username: string;
  password: string;
  role: StaffRole;
  displayName: string;
  phone?: string | null;
  merchantId?: number | null;
  storeId?: number | null;
}

export function staffView(s: StaffAccountEntity): StaffView {
  return {
    id: s.id,
    username: s.username,
    role: s.role,
    displayName: s.displayName,
    phoneMasked: maskPhone(s.phone),
    merchantId: s.merchantId,
    storeId: s.storeId,
    active: s.active,
  };
}

/** Accounts with passwords: merchant staff, operators, finance reviewers, auditors. */
@Injectable()
export class StaffAuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async signIn(
    username: string,
    password: string,
  ): Promise<{ accessToken: string; expiresAt: string; staff: StaffView }> {
    const repo = this.dataSource.getRepository(StaffAccountEntity);
    const account = await repo
      .createQueryBuilder('s')
      .addSelect('s.passwordHash')
      .where('lower(s.username) = lower(:username)', { username })
      .getOne();
    const now = this.clock.now();
    if (account?.lockedUntil && account.lockedUntil > now) {
      throw new JinliException(
        'AUTH_ACCOUNT_LOCKED',
        'Too many wrong passwords; the account is locked for a while',
        {
          lockedUntil: account.lockedUntil.toISOString(),
        },
      );
    }
    const ok = await this.hasher.verify(account?.passwordHash, password);
    if (!account || !ok) {
      if (account) {
        // One atomic step per failure: parallel wrong guesses each count, and the one that reaches the
        // limit locks the account (the counter starts again for the next lock period).
        const lockedUntil = new Date(now.getTime() + this.config.auth.loginLockS * 1000);
        const [[failure]] = (await this.dataSource.query(
          `UPDATE staff_account
              SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
                  locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END,
                  updated_at = $4
            WHERE id = $1
        RETURNING failed_attempts = 0 AS locked`,
          [account.id, this.config.auth.loginMaxFailures, lockedUntil, now],
        )) as [{ locked: boolean }[], number];
        const locked = failure?.locked ?? false;
        await this.audit.record({
          actor: { id: account.id, role: account.role },
          action: 'auth.login_failed',
          entityType: 'staff_account',
          entityId: account.id,
          outcome: 'denied',
          details: { locked },
        });
      }
      throw new JinliException('AUTH_INVALID_CREDENTIALS', 'Wrong username or password');
    }
    if (!account.active) throw new JinliException('AUTH_ACCOUNT_DISABLED', 'This account is disabled');
    // The right password counts only if no parallel guess locked the account meanwhile.
    const [signedIn] = (await this.dataSource.query(
      `UPDATE staff_account SET failed_attempts = 0, locked_until = NULL, last_login_at = $2, updated_at = $2
        WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)
    RETURNING locked_until`,
      [account.id, now],
    )) as [unknown[], number];
    if (signedIn.length === 0) {
      const [current] = (await this.dataSource.query(`SELECT locked_until FROM staff_account WHERE id = $1`, [
        account.id,
      ])) as { locked_until: Date | null }[];
      throw new JinliException(
        'AUTH_ACCOUNT_LOCKED',
        'Too many wrong passwords; the account is locked for a while',
        { lockedUntil: current?.locked_until?.toISOString() ?? null },
      );
    }
    const actor: Actor = { id: account.id, role: account.role };
    if (account.merchantId !== null) actor.merchantId = account.merchantId;
    if (account.storeId !== null) actor.storeId = account.storeId;
    return { ...this.tokens.issue(actor, now.getTime()), staff: staffView(account) };
  }

  /** Creates an account. Callers check who may create which role (see issuing for merchant staff). */
  async create(input: NewStaffAccount, manager: EntityManager = this.dataSource.manager): Promise<StaffView> {
    if (!PASSWORD_RULE.test(input.password)) {
      throw new JinliException(
        'VALIDATION_FAILED',
        'The password needs at least 10 characters with a letter and a digit',
        [{ field: 'password', problems: ['at least 10 characters with a letter and a digit'] }],
      );
    }
    const passwordHash = await this.hasher.hash(input.password);
    try {
      const saved = await manager.getRepository(StaffAccountEntity).save(
        manager.getRepository(StaffAccountEntity).create({
          username: input.username,
          passwordHash,
          role: input.role,
          displayName: input.displayName,
          phone: input.phone ?? null,
          merchantId: input.merchantId ?? null,
          storeId: input.storeId ?? null,
        }),
      );
      return staffView(saved);
    } catch (e) {
      if (isConstraintViolation(e, 'uq_staff_account_username')) {
        throw new JinliException('AUTH_USERNAME_TAKEN', `The username ${input.username} is taken`);
      }
      throw e;
    }
  }

  /** Creates an account on behalf of an operator, with an audit entry in the same transaction. */
  async createAudited(actor: Actor, input: NewStaffAccount): Promise<StaffView> {
    return this.dataSource.transaction(async (m) => {
      const view = await this.create(input, m);
      await this.audit.record(
        {
          actor,
          action: 'staff.create',
          entityType: 'staff_account',
          entityId: view.id,
          details: { username: view.username, role: view.role },
        },
        m,
      );
      return view;
    });
  }

  async changePassword(staffId: number, current: string, next: string): Promise<void> {
    const repo = this.dataSource.getRepository(StaffAccountEntity);
    const account = await repo
      .createQueryBuilder('s')
      .addSelect('s.passwordHash')
      .where('s.id = :id', { id: staffId })
      .getOne();
    if (!account || !(await this.hasher.verify(account.passwordHash, current))) {
      throw new JinliException('AUTH_INVALID_CREDENTIALS', 'The current password is wrong');
    }
    if (!PASSWORD_RULE.test(next)) {
      throw new JinliException(
        'VALIDATION_FAILED',
        'The password needs at least 10 characters with a letter and a digit',
      );
    }
    await repo.update(staffId, { passwordHash: await this.hasher.hash(next) });
    await this.audit.record({
      actor: { id: staffId, role: account.role },
      action: 'auth.password_changed',
      entityType: 'staff_account',
      entityId: staffId,
    });
  }

  async profile(staffId: number): Promise<StaffView> {
    const s = await this.dataSource.getRepository(StaffAccountEntity).findOneBy({ id: staffId });
    if (!s) throw new JinliException('NOT_FOUND', 'Account not found');
    return staffView(s);
  }
}
