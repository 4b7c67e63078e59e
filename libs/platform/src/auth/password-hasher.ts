import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** argon2id with OWASP's minimum parameters (19 MiB, t=2, p=1): strong, about 20 ms a hash here. */
@Injectable()
export class PasswordHasher {
  private static readonly options = {
    type: argon2.argon2id as 2,
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  };
  private dummy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, PasswordHasher.options);
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    // Verify against a dummy hash for unknown users so timing does not reveal which usernames exist.
    this.dummy ??= this.hash('jinli-dummy-password');
    try {
      return await argon2.verify(hash ?? (await this.dummy), password);
    } catch {
      return false;
    }
  }
}

/** Passwords must be at least 10 characters with a letter and a digit. */
export const PASSWORD_RULE = /^(?=.*[A-Za-z])(?=.*\d).{10,128}$/;
