import assert from "node:assert/strict";
import { OneShot } from "../lib/one_shot.ts";

Deno.test("OneShot: races settle with the promise, or with the event if it comes first", async () => {
  const event = new OneShot<"stopped">();
  assert.equal(await event.race(Promise.resolve(1)), 1);
  await assert.rejects(event.race(Promise.reject(new Error("boom"))), /boom/);
  const waiting = event.race(new Promise<number>(() => {}));
  assert.equal(event.fired, false);
  event.fire("stopped");
  event.fire("stopped");
  assert.equal(event.fired, true);
  assert.equal(await waiting, "stopped");
  // After the event, a race ends at once unless its promise has settled already.
  assert.equal(await event.race(new Promise<number>(() => {})), "stopped");
});
