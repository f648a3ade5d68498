/**
 * A stopped clock for tests of what a store timestamps itself (audit events): while `work` runs,
 * `new Date()` and `Date.now()` answer `at`; dates built from a value are untouched, so drivers
 * still parse what they read. Tests run one at a time, so nothing else sees the stopped clock.
 */
export async function atInstant<T>(at: Date | string, work: () => Promise<T>): Promise<T> {
  const RealDate = globalThis.Date;
  const fixed = new RealDate(at).getTime();
  class StoppedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(fixed);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return fixed;
    }
  }
  globalThis.Date = StoppedDate as DateConstructor;
  try {
    return await work();
  } finally {
    globalThis.Date = RealDate;
  }
}
