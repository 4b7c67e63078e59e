import { Injectable, Logger } from '@nestjs/common';
import { maskPhone } from '../privacy/masking';

/** Sends text messages. Production plugs in a carrier gateway; development prints to the console. */
export abstract class SmsSender {
  /** Whether codes may be echoed back to the caller (never in production). */
  abstract readonly revealsCodes: boolean;
  abstract send(phone: string, text: string): Promise<void>;
}

@Injectable()
export class ConsoleSmsSender extends SmsSender {
  readonly revealsCodes = true;
  private readonly log = new Logger('SMS');
  async send(phone: string, text: string): Promise<void> {
    this.log.log(`to ${maskPhone(phone)}: ${text}`);
  }
}

/** Keeps messages in memory so tests can read the code a citizen would receive. */
@Injectable()
export class MemorySmsSender extends SmsSender {
  readonly revealsCodes = false;
  readonly sent: { phone: string; text: string }[] = [];
  async send(phone: string, text: string): Promise<void> {
    this.sent.push({ phone, text });
  }
  lastCodeFor(phone: string): string | undefined {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      if (this.sent[i].phone === phone) return /(\d{6})/.exec(this.sent[i].text)?.[1];
    }
    return undefined;
  }
}
