/** The one source of time. Inject it; never call `new Date()` for business decisions. */
export abstract class Clock {
  abstract now(): Date;
  nowMs(): number {
    return this.now().getTime();
  }
}

export class SystemClock extends Clock {
  override now(): Date {
    return new Date();
  }
  override nowMs(): number {
    return Date.now();
  }
}

/** A clock tests move by hand, so rounds open and vouchers expire without sleeping. */
export class ManualClock extends Clock {
  private ms: number;
  constructor(start: Date | string | number = Date.now()) {
    super();
    this.ms = new Date(start).getTime();
  }
  override now(): Date {
    return new Date(this.ms);
  }
  override nowMs(): number {
    return this.ms;
  }
  set(at: Date | string | number): void {
    this.ms = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
