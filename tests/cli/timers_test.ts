/**
 * The entry point's timers (lib/cli/timers.ts): deadline order, FIFO for equal deadlines,
 * clearing (including from another callback), intervals, arguments, one alarm for many timers,
 * re-arming when a timer is set earlier than the armed alarm, a throwing callback not stopping
 * the rest; then the real clock. Every test that runs main.ts runs with these timers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { installSignalTimers, SignalTimers, type TimerClock } from "../../lib/cli/timers.ts";

/** A clock the test moves by hand; alarms fire when it passes their time. */
class FakeClock implements TimerClock {
  time = 0;
  alarms: { at: number; fire: () => void }[] = [];
  now(): number {
    return this.time;
  }
  alarm(ms: number, fire: () => void): void {
    this.alarms.push({ at: this.time + ms, fire });
  }
  advance(to: number): void {
    this.time = to;
    for (;;) {
      const ready = this.alarms.filter((alarm) => alarm.at <= this.time);
      if (ready.length === 0) return;
      this.alarms = this.alarms.filter((alarm) => !ready.includes(alarm));
      for (const alarm of ready) alarm.fire();
    }
  }
}

Deno.test("timers: run in deadline order, equal deadlines in the order set, with their arguments", () => {
  const clock = new FakeClock();
  const timers = new SignalTimers(clock);
  const ran: string[] = [];
  timers.setTimeout((name: string) => ran.push(name), 30, "c");
  timers.setTimeout((name: string) => ran.push(name), 10, "a");
  timers.setTimeout((name: string) => ran.push(name), 10, "b");
  timers.setTimeout((name: string) => ran.push(name), 0, "zero");
  clock.advance(9);
  assert.deepEqual(ran, ["zero"]);
  clock.advance(10);
  assert.deepEqual(ran, ["zero", "a", "b"]);
  clock.advance(100);
  assert.deepEqual(ran, ["zero", "a", "b", "c"]);
  assert.equal(timers.pending, 0);
});

Deno.test("timers: cleared timers never run, even when cleared by a callback due at the same time", () => {
  const clock = new FakeClock();
  const timers = new SignalTimers(clock);
  const ran: string[] = [];
  const late = timers.setTimeout(() => ran.push("late"), 50);
  let second = 0;
  timers.setTimeout(() => {
    ran.push("first");
    timers.clear(second);
  }, 20);
  second = timers.setTimeout(() => ran.push("second"), 20);
  // Still queued while the round at 20 runs: clearing "second" then must not touch it.
  timers.setTimeout(() => ran.push("kept"), 80);
  timers.clear(late);
  timers.clear(undefined);
  timers.clear(12345);
  clock.advance(20);
  assert.deepEqual(ran, ["first"]);
  clock.advance(100);
  assert.deepEqual(ran, ["first", "kept"]);
  assert.equal(timers.pending, 0);
});

Deno.test("timers: one alarm serves many timers; a sooner timer arms a sooner alarm", () => {
  const clock = new FakeClock();
  const timers = new SignalTimers(clock);
  const ran: number[] = [];
  for (let i = 0; i < 100; i++) timers.setTimeout(() => ran.push(i), 1000 + i);
  assert.equal(clock.alarms.length, 1, "timers due after the armed alarm add none");
  timers.setTimeout(() => ran.push(-1), 5);
  assert.equal(clock.alarms.length, 2);
  clock.advance(5);
  assert.deepEqual(ran, [-1]);
  clock.advance(1099);
  assert.equal(ran.length, 101);
  assert.deepEqual(ran.slice(1), [...Array(100).keys()]);
});

Deno.test("timers: an interval repeats until cleared, also from its own callback", () => {
  const clock = new FakeClock();
  const timers = new SignalTimers(clock);
  let count = 0;
  const id = timers.setInterval(() => {
    count++;
    if (count === 3) timers.clear(id);
  }, 10);
  for (let t = 10; t <= 100; t += 10) clock.advance(t);
  assert.equal(count, 3);
  assert.equal(timers.pending, 0);
});

Deno.test("timers: a throwing callback is reported and the others still run", () => {
  const clock = new FakeClock();
  const timers = new SignalTimers(clock);
  const ran: string[] = [];
  const reported: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    reported.push(event.error);
    event.preventDefault();
  };
  globalThis.addEventListener("error", onError);
  try {
    timers.setTimeout(() => {
      throw new Error("boom");
    }, 10);
    timers.setTimeout(() => ran.push("after"), 10);
    timers.setTimeout(() => ran.push("later"), 20);
    clock.advance(10);
    clock.advance(20);
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  assert.equal((reported[0] as Error).message, "boom");
  assert.deepEqual(ran, ["after", "later"]);
});

Deno.test("timers: the real clock fires no sooner than asked, in order", async () => {
  const timers = new SignalTimers();
  const started = performance.now();
  const order: number[] = [];
  await new Promise<void>((resolve) => {
    timers.setTimeout(() => order.push(30), 30);
    timers.setTimeout(() => order.push(10), 10);
    timers.setTimeout(() => {
      order.push(40);
      resolve();
    }, 40);
  });
  assert.deepEqual(order, [10, 30, 40]);
  assert.ok(performance.now() - started >= 39, "not before its time");
});

Deno.test("timers: installed on a global object, the four functions are replaced", () => {
  const target = {} as typeof globalThis;
  const timers = installSignalTimers(target);
  const id = target.setTimeout(() => {}, 60_000);
  assert.equal(typeof id, "number");
  assert.equal(timers.pending, 1);
  target.clearTimeout(id);
  target.clearInterval(target.setInterval(() => {}, 60_000));
  assert.equal(timers.pending, 0);
});
