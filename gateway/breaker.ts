// A circuit breaker for one partner: after enough consecutive failures the gateway stops calling it
// for a cool-down, so a dead partner costs nothing instead of a timeout per request, then lets a
// single trial call through to find out whether it is back.

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call is let through, in ms. */
  coolDownMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  lastError: string | null;
  /** When an open circuit lets (or let) a trial through, ISO time; null while closed. */
  openUntil: string | null;
}

export const BREAKER_DEFAULTS = { failureThreshold: 5, coolDownMs: 5_000 } as const;

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  private readonly now: () => number;
  private _state: BreakerState = "closed";
  private failures = 0;
  private lastError: string | null = null;
  private openedUntil = 0;
  // Half-open admits exactly one call; everyone else keeps failing fast until it reports back.
  private trialInFlight = false;

  constructor(opts: BreakerOptions = {}) {
    this.failureThreshold = opts.failureThreshold ?? BREAKER_DEFAULTS.failureThreshold;
    this.coolDownMs = opts.coolDownMs ?? BREAKER_DEFAULTS.coolDownMs;
    this.now = opts.now ?? Date.now;
    if (!(this.failureThreshold >= 1)) throw new RangeError("failureThreshold must be at least 1");
    if (!(this.coolDownMs >= 0)) throw new RangeError("coolDownMs must not be negative");
  }

  /** The state as of now: an open circuit whose cool-down has passed reads as half-open. */
  get state(): BreakerState {
    if (this._state === "open" && this.now() >= this.openedUntil) return "half-open";
    return this._state;
  }

  /**
   * Asks to make a call. True means go ahead and report the outcome with success() or failure();
   * false means fail fast without calling the partner.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    if (this.trialInFlight) return false;
    this._state = "half-open";
    this.trialInFlight = true;
    return true;
  }

  /** The partner answered: whatever the state, it is reachable again. */
  success(): void {
    this._state = "closed";
    this.failures = 0;
    this.trialInFlight = false;
    this.openedUntil = 0;
  }

  /** The call ended without saying anything about the partner: free a half-open trial slot. */
  release(): void {
    this.trialInFlight = false;
  }

  failure(error: string): void {
    this.failures++;
    this.lastError = error;
    if (this._state === "half-open") {
      // The trial failed: another full cool-down before the next one.
      this.trialInFlight = false;
      this.open();
    } else if (this._state === "closed" && this.failures >= this.failureThreshold) {
      this.open();
    }
    // Already open: calls that were in flight when it opened do not extend the cool-down.
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      openUntil: state === "closed" ? null : new Date(this.openedUntil).toISOString(),
    };
  }

  /** Milliseconds until an open circuit admits a trial; 0 when it would admit one now. */
  retryAfterMs(): number {
    return this._state === "open" ? Math.max(0, this.openedUntil - this.now()) : 0;
  }

  private open() {
    this._state = "open";
    this.openedUntil = this.now() + this.coolDownMs;
  }
}
