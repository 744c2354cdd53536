import assert from "node:assert/strict";
import { WriteBehind } from "../../lib/cli/write_behind.ts";

/** A file whose writes complete only when the test says so, taking at most `max` bytes each. */
function gatedFile(max = Infinity) {
  const written: number[] = [];
  const gates: (() => void)[] = [];
  let writes = 0;
  return {
    written,
    get writes() {
      return writes;
    },
    get waiting() {
      return gates.length;
    },
    release() {
      gates.shift()?.();
    },
    write(bytes: Uint8Array): Promise<number> {
      writes++;
      const count = Math.min(bytes.length, max);
      const copy = [...bytes.subarray(0, count)];
      return new Promise((resolve) =>
        gates.push(() => {
          written.push(...copy);
          resolve(count);
        })
      );
    },
  };
}

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("write-behind: chunks that arrive during a write leave together, in order", async () => {
  const file = gatedFile();
  const out = new WriteBehind(file, 8);
  await out.write(bytes(1, 2));
  await out.write(bytes(3));
  await out.write(bytes(4, 5));
  assert.equal(file.writes, 1, "only the first chunk is in flight");
  file.release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(file.writes, 2, "the rest went in one write");
  const flushed = out.flush();
  file.release();
  await flushed;
  assert.deepEqual(file.written, [1, 2, 3, 4, 5]);
});

Deno.test("write-behind: memory is bounded — a write waits while both buffers are full", async () => {
  const file = gatedFile();
  const out = new WriteBehind(file, 4);
  await out.write(bytes(1, 2, 3, 4)); // in flight
  await out.write(bytes(5, 6, 7, 8)); // fills the second buffer
  let accepted = false;
  const third = out.write(bytes(9)).then(() => (accepted = true));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(accepted, false, "back-pressure: the third chunk waits for the reader");
  while (!accepted || file.waiting > 0) {
    file.release();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await third;
  const flushed = out.flush();
  while (file.waiting > 0 || file.written.length < 9) {
    file.release();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await flushed;
  assert.deepEqual(file.written, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("write-behind: partial writes are continued; chunks larger than a buffer are split", async () => {
  const file = gatedFile(3);
  const out = new WriteBehind(file, 4);
  const data = Uint8Array.from({ length: 11 }, (_, i) => i);
  const writing = out.write(data);
  const flushing = writing.then(() => out.flush());
  let done = false;
  flushing.then(() => (done = true));
  while (!done) {
    file.release();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.deepEqual(file.written, [...data]);
});

Deno.test("write-behind: a failed write is rethrown by the next write and by flush", async () => {
  const out = new WriteBehind({
    write: () => Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")),
  }, 4);
  await out.write(bytes(1));
  await new Promise((resolve) => setTimeout(resolve, 1));
  await assert.rejects(out.write(bytes(2)), Deno.errors.BrokenPipe);
  await assert.rejects(out.flush(), Deno.errors.BrokenPipe);
});
