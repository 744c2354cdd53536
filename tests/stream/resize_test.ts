import assert from "node:assert/strict";
import { encodeTerminalSize, redrawSizes, TerminalSizeQueue } from "../../lib/stream/resize.ts";

Deno.test("sizes encode as client-go's capitalised JSON plus a newline", () => {
  assert.equal(
    new TextDecoder().decode(encodeTerminalSize({ width: 80, height: 24 })),
    '{"Width":80,"Height":24}\n',
  );
  assert.throws(() => encodeTerminalSize({ width: 70000, height: 1 }), RangeError);
  assert.throws(() => encodeTerminalSize({ width: 1.5, height: 1 }), /terminal width must be/);
});

Deno.test("the queue hands out the seed, coalesces bursts and skips repeats", async () => {
  const queue = new TerminalSizeQueue({ width: 80, height: 24 });
  const iterator = queue[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { value: { width: 80, height: 24 }, done: false });
  queue.push({ width: 90, height: 30 });
  queue.push({ width: 100, height: 40 });
  assert.deepEqual(await iterator.next(), { value: { width: 100, height: 40 }, done: false });
  queue.push({ width: 100, height: 40 });
  const waiting = iterator.next();
  queue.push({ width: 100, height: 40 });
  queue.push({ width: 120, height: 50 });
  assert.deepEqual(await waiting, { value: { width: 120, height: 50 }, done: false });
  queue.close();
  assert.equal(queue.closed, true);
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  queue.push({ width: 1, height: 1 });
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
});

Deno.test("closing ends a waiting consumer; return() closes the queue", async () => {
  const queue = new TerminalSizeQueue();
  const iterator = queue[Symbol.asyncIterator]();
  const waiting = iterator.next();
  queue.close();
  assert.deepEqual(await waiting, { value: undefined, done: true });

  const other = new TerminalSizeQueue({ width: 1, height: 1 });
  const otherIterator = other[Symbol.asyncIterator]();
  await otherIterator.return!();
  assert.equal(other.closed, true);
  assert.deepEqual(await otherIterator.next(), { value: undefined, done: true });
  assert.throws(() => other.push({ width: -1, height: 1 }), RangeError);
});

Deno.test("seeded sizes all come out in order (attach's redraw), later pushes coalesce", async () => {
  assert.deepEqual(redrawSizes({ width: 80, height: 24 }), [
    { width: 81, height: 25 },
    { width: 80, height: 24 },
  ]);
  assert.deepEqual(redrawSizes({ width: 65535, height: 1 })[0], { width: 65535, height: 2 });
  const queue = new TerminalSizeQueue(redrawSizes({ width: 80, height: 24 }));
  queue.push({ width: 80, height: 24 });
  const iterator = queue[Symbol.asyncIterator]();
  assert.deepEqual((await iterator.next()).value, { width: 81, height: 25 });
  assert.deepEqual((await iterator.next()).value, { width: 80, height: 24 });
  queue.push({ width: 90, height: 30 });
  queue.push({ width: 100, height: 40 });
  assert.deepEqual((await iterator.next()).value, { width: 100, height: 40 });
  assert.throws(() => new TerminalSizeQueue([{ width: 1, height: -2 }]), /terminal height/);

  const seededThenPushed = new TerminalSizeQueue([{ width: 1, height: 1 }]);
  seededThenPushed.push({ width: 2, height: 2 });
  const second = seededThenPushed[Symbol.asyncIterator]();
  assert.deepEqual((await second.next()).value, { width: 1, height: 1 });
  assert.deepEqual((await second.next()).value, { width: 2, height: 2 });
  seededThenPushed.close();
  assert.deepEqual(await second.next(), { value: undefined, done: true });
});
