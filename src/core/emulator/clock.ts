/**
 * Time as the emulators see it. The sandbox passes the system clock; tests pass a ManualClock
 * and move time on instead of sleeping (token expiry, SMS code lifetimes, rate-limit windows).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private time = Date.now()) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
  set(time: number): void {
    this.time = time;
  }
}
