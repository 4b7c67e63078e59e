import { Inject, Injectable } from '@nestjs/common';
import { VoucherCodeView } from '@jinli/contracts';
import { AppConfig, APP_CONFIG, Clock } from '@jinli/platform';
import { RedemptionException } from '../redemption.exception';
import { CODE_STEP_MS, CodeRefusal, VerifiedCode, VoucherCodec } from './voucher-code';

/** Voucher codes with the deployment's keys and the injected clock. */
@Injectable()
export class VoucherCodeService {
  readonly codec: VoucherCodec;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.codec = new VoucherCodec(config.voucherCodes.keys, config.voucherCodes.deploymentTag);
  }

  /** The live code of a voucher: valid in this step and the next one. */
  issue(voucherId: number): VoucherCodeView {
    const step = VoucherCodec.stepAt(this.clock.nowMs());
    const code = this.codec.render(voucherId, step);
    return {
      qr: code.qr,
      digits: code.digits,
      refreshAfter: new Date((step + 1) * CODE_STEP_MS).toISOString(),
      expiresAt: new Date((step + 2) * CODE_STEP_MS).toISOString(),
    };
  }

  /** Verifies a code now, or throws the RedemptionException naming why it is refused. */
  verify(input: string, expectedVoucherId?: number): VerifiedCode {
    try {
      return this.codec.verify(input, this.clock.nowMs(), expectedVoucherId);
    } catch (e) {
      if (e instanceof CodeRefusal) throw refusalToException(e);
      throw e;
    }
  }
}

const MESSAGES: Record<CodeRefusal['code'], string> = {
  VOUCHER_CODE_MALFORMED: 'This is not a complete Jinli voucher code; scan it again',
  VOUCHER_CODE_FORGED: 'This voucher code is not genuine',
  VOUCHER_CODE_EXPIRED: 'This voucher code has expired; ask the customer to refresh it',
  VOUCHER_CODE_NOT_YET_VALID: 'This voucher code is not valid yet; check the till clock',
  VOUCHER_CODE_WRONG_VOUCHER: 'This code belongs to another voucher than the one being confirmed',
  VOUCHER_CODE_OTHER_ENVIRONMENT: 'This voucher code was issued by another Jinli deployment',
};

export function refusalToException(e: CodeRefusal): RedemptionException {
  return new RedemptionException(e.code, MESSAGES[e.code], { reason: e.reason });
}
