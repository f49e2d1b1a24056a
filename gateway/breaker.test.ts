import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./breaker.ts";

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe("CircuitBreaker", () => {
  it("stays closed below the threshold, and a success resets the count", () => {
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000, now: clock().now });
    b.failure("one");
    b.failure("two");
    expect(b.state).toBe("closed");
    expect(b.snapshot()).toEqual({
      state: "closed",
      consecutiveFailures: 2,
      lastError: "two",
      openUntil: null,
    });
    b.success();
    b.failure("three");
    b.failure("four");
    expect(b.state).toBe("closed");
    expect(b.snapshot().consecutiveFailures).toBe(2);
  });

  it("opens after N consecutive failures and refuses calls until the cool-down ends", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(b.tryAcquire()).toBe(true);
      b.failure(`boom ${i}`);
    }
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    expect(b.snapshot()).toEqual({
      state: "open",
      consecutiveFailures: 3,
      lastError: "boom 2",
      openUntil: new Date(c.t + 1000).toISOString(),
    });
    expect(b.retryAfterMs()).toBe(1000);
    c.t += 999;
    expect(b.tryAcquire()).toBe(false);
    expect(b.retryAfterMs()).toBe(1);
  });

  it("half-opens after the cool-down, lets exactly one trial through, and closes when it succeeds", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 1000, now: c.now });
    b.failure("a");
    b.failure("b");
    c.t += 1000;
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
    // While the trial is out, everyone else still fails fast.
    expect(b.tryAcquire()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.state).toBe("closed");
    expect(b.snapshot()).toMatchObject({
      state: "closed",
      consecutiveFailures: 0,
      openUntil: null,
    });
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
  });

  it("re-opens for a full cool-down when the trial fails", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 1000, now: c.now });
    b.failure("a");
    b.failure("b");
    c.t += 1500;
    expect(b.tryAcquire()).toBe(true);
    b.failure("still down");
    expect(b.state).toBe("open");
    expect(b.snapshot()).toMatchObject({
      consecutiveFailures: 3,
      lastError: "still down",
      openUntil: new Date(c.t + 1000).toISOString(),
    });
    c.t += 999;
    expect(b.tryAcquire()).toBe(false);
    c.t += 1;
    expect(b.tryAcquire()).toBe(true);
  });

  it("does not extend the cool-down for calls that were already in flight when it opened", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1000, now: c.now });
    b.failure("first");
    const until = b.snapshot().openUntil;
    c.t += 500;
    b.failure("late reply from before it opened");
    expect(b.snapshot().openUntil).toBe(until);
  });

  it("frees the trial slot when a trial ends without a verdict", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 10, now: c.now });
    b.failure("x");
    c.t += 10;
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
  });

  it("rejects nonsense settings", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ coolDownMs: -1 })).toThrow(RangeError);
  });
});
