import assert from "node:assert/strict";
import { PipeReader, PipeReadError } from "../../lib/cli/pipe_reader.ts";
import { outputWhenFed } from "../support/child_input.ts";
import { within } from "../support/deadline.ts";
import { randomBytes } from "../support/random_bytes.ts";

/**
 * `Deno.test` with a deadline: every test here waits on another thread, so a lost wake-up fails the
 * test instead of hanging the suite.
 */
function test(name: string, fn: () => Promise<void>): void {
  Deno.test(name, () => within(90_000, fn()));
}

/**
 * A read for the worker (as source text): `chunks` chunks whose sizes cycle through `sizes`, byte
 * `i` of the whole stream being `i & 0xff`; then the end, or `then` (an expression run instead of
 * returning `null`, e.g. a throw).
 */
function patternRead(chunks: number, sizes: number[], then = "null") {
  return `(() => {
  let chunk = 0;
  let offset = 0;
  const sizes = ${JSON.stringify(sizes)};
  return (buffer) => {
    if (chunk === ${chunks}) return ${then};
    const count = Math.min(sizes[chunk++ % sizes.length], buffer.length);
    for (let index = 0; index < count; index++) buffer[index] = (offset + index) & 0xff;
    offset += count;
    return count;
  };
})()`;
}

/** Reads `reader` to its end with buffers whose sizes cycle through `sizes`; checks the pattern. */
async function readPattern(reader: PipeReader, sizes: number[]): Promise<number> {
  let total = 0;
  for (let turn = 0;; turn++) {
    const buffer = new Uint8Array(sizes[turn % sizes.length]);
    const count = await reader.read(buffer);
    if (count === null) return total;
    assert.ok(count > 0 && count <= buffer.length, `read returned ${count}`);
    for (let index = 0; index < count; index++) {
      if (buffer[index] !== ((total + index) & 0xff)) {
        assert.fail(`byte ${total + index} is ${buffer[index]}`);
      }
    }
    total += count;
  }
}

/**
 * A worker read (as source text) that counts each call in a file before making the read `inner`,
 * with a way for the test to look at the count. Call `remove` when done.
 */
async function countedRead(inner: string) {
  const dir = await Deno.makeTempDir();
  const counter = `${dir}/reads`;
  const count = () => Deno.readTextFile(counter).then(Number, () => 0);
  return {
    readExpression: `(() => {
  const inner = ${inner};
  let reads = 0;
  return (buffer) => {
    Deno.writeTextFileSync(${JSON.stringify(counter)}, String(++reads));
    return inner(buffer);
  };
})()`,
    count,
    /** Resolves once the count reached `expected`, or after 10 s; returns the count. */
    async reached(expected: number): Promise<number> {
      for (let waited = 0; waited < 10_000 && await count() < expected; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return await count();
    },
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

test("PipeReader delivers every chunk in order, whatever the chunk and buffer sizes, then the end", async () => {
  const sizes = [65536, 1, 4096, 65535, 300, 65536, 65536, 7];
  const reader = new PipeReader({ readExpression: patternRead(500, sizes) });
  const total = await readPattern(reader, [65518, 3, 200_000, 65536, 1000]);
  const expected = Array.from({ length: 500 }, (_, index) => sizes[index % sizes.length])
    .reduce((sum, size) => sum + size, 0);
  assert.equal(total, expected);
  assert.equal(await reader.read(new Uint8Array(8)), null, "the end stays the end");
});

test("PipeReader: a buffer larger than one chunk is filled from every chunk that is ready", async () => {
  // Eight 1 KiB chunks fill the ring while the reader waits; one read then takes them all.
  const reads = await countedRead(patternRead(8, [1024]));
  const reader = new PipeReader({ readExpression: reads.readExpression });
  try {
    assert.equal(await reader.read(new Uint8Array(1)), 1); // starts the worker
    await reads.reached(8);
    const buffer = new Uint8Array(64 * 1024);
    assert.equal(await reader.read(buffer), 8 * 1024 - 1);
    assert.ok(
      buffer.subarray(0, 8 * 1024 - 1).every((byte, index) => byte === ((index + 1) & 0xff)),
    );
    // The ring was full: the end comes once the slots freed above wake the worker.
    assert.equal(await reader.read(new Uint8Array(8)), null);
  } finally {
    reader.cancel();
    await reads.remove();
  }
});

test("PipeReader: a read that takes part of a chunk stops on an 8-byte boundary of it", async () => {
  // The session reads 64 KiB - 18 bytes at a time. Were the rest of a chunk not aligned, every
  // following copy out of the shared ring would be misaligned, which V8 does a byte at a time.
  const reads = await countedRead(patternRead(4, [65536]));
  const reader = new PipeReader({ readExpression: reads.readExpression });
  try {
    const buffer = new Uint8Array(65536 - 18);
    const counts = [await reader.read(buffer)];
    assert.equal(await reads.reached(5), 5, "the worker has read four chunks and the end");
    for (let count; (count = await reader.read(buffer)) !== null;) counts.push(count);
    let total = 0;
    for (const [index, count] of counts.entries()) {
      assert.ok(count !== null);
      total += count;
      if (index < counts.length - 1) {
        assert.equal(total % 8, 0, `read ${index} ends at ${total}`);
        assert.ok(count > buffer.length - 8, `read ${index} took only ${count}`);
      }
    }
    assert.equal(total, 4 * 65536);
  } finally {
    reader.cancel();
    await reads.remove();
  }
});

test("PipeReader: a failing read reaches the caller as a PipeReadError after the chunks before it", async () => {
  const reader = new PipeReader({
    readExpression: patternRead(
      20,
      [4096],
      `(() => { throw new Error("Input/output error (os error 5)"); })()`,
    ),
  });
  let total = 0;
  const buffer = new Uint8Array(4096);
  await assert.rejects(
    async () => {
      for (let count; (count = await reader.read(buffer)) !== null;) total += count;
    },
    (error) => {
      assert.ok(error instanceof PipeReadError);
      assert.equal(error.message, "reading stdin: Input/output error (os error 5)");
      return true;
    },
  );
  assert.equal(total, 20 * 4096, "every chunk read before the failure arrives first");
  await assert.rejects(reader.read(buffer), PipeReadError, "and the failure stays");
});

test("PipeReader: chunks put in before a failure come first even when the failure is already known", async () => {
  // Five chunks fit in the ring, then the read fails; by the time the caller reads again the
  // failure's message has arrived. Those chunks were read before the failure: they come first.
  const reader = new PipeReader({
    readExpression: patternRead(
      5,
      [4096],
      `(() => { throw new Error("Input/output error (os error 5)"); })()`,
    ),
  });
  const buffer = new Uint8Array(4096);
  assert.equal(await reader.read(buffer.subarray(0, 1)), 1); // starts the worker
  await new Promise((resolve) => setTimeout(resolve, 300));
  let total = 1;
  await assert.rejects(async () => {
    for (let count; (count = await reader.read(buffer)) !== null;) total += count;
  }, PipeReadError);
  assert.equal(total, 5 * 4096);
});

test("PipeReader: a reader thread that cannot start fails the read instead of hanging", async () => {
  // Deno prints the worker's uncaught error on stderr as well; that output is expected here.
  const reader = new PipeReader({
    readExpression: `(() => { throw new Error("no stdin here"); })()`,
  });
  await assert.rejects(reader.read(new Uint8Array(8)), (error) => {
    assert.ok(error instanceof PipeReadError);
    assert.match(error.message, /^reading stdin: the reader thread failed: .*no stdin here/);
    return true;
  });
});

test("PipeReader: a worker that cannot start hands every read to the fallback, which loses nothing", async () => {
  // Deno prints the worker's uncaught error on stderr as well; that output is expected here.
  let offered = 3;
  const fallback = {
    read(buffer: Uint8Array) {
      if (offered === 0) return Promise.resolve(null);
      offered--;
      buffer.fill(7, 0, 5);
      return Promise.resolve(5);
    },
  };
  const reader = new PipeReader({
    readExpression: `(() => { throw new Error("Module not found: data:…"); })()`,
    fallback,
  });
  let total = 0;
  const buffer = new Uint8Array(64);
  for (let count; (count = await reader.read(buffer)) !== null;) {
    assert.deepEqual([...buffer.subarray(0, count)], [7, 7, 7, 7, 7]);
    total += count;
  }
  assert.equal(total, 15);
  reader.cancel();
  assert.equal(await reader.read(buffer), null, "cancelled: the end, not the fallback");
});

test("PipeReader: a worker that failed after it started reading is an error even with a fallback", async () => {
  let fallbackReads = 0;
  const reader = new PipeReader({
    readExpression: `(() => { let calls = 0; return (buffer) => {
      if (++calls === 3) throw new Error("Input/output error (os error 5)");
      buffer.fill(1, 0, 10);
      return 10;
    }; })()`,
    fallback: {
      read: () => {
        fallbackReads++;
        return Promise.resolve(null);
      },
    },
  });
  const buffer = new Uint8Array(10);
  assert.equal(await reader.read(buffer), 10);
  assert.equal(await reader.read(buffer), 10);
  await assert.rejects(reader.read(buffer), PipeReadError);
  assert.equal(fallbackReads, 0, "bytes the worker may have taken must not be skipped silently");
});

test("PipeReader reads no further ahead than its ring (back-pressure), and not before the first read", async () => {
  const reads = await countedRead("(buffer) => { buffer.fill(1); return buffer.length; }");
  const reader = new PipeReader({ readExpression: reads.readExpression });
  try {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
    /** The count once it reached `expected`, and again 300 ms later: it must not go on. */
    const settledAt = async (expected: number) => {
      await reads.reached(expected);
      await pause();
      return await reads.count();
    };
    await pause();
    assert.equal(await reads.count(), 0, "nothing is read before the first read");
    assert.equal(await reader.read(new Uint8Array(65536)), 65536);
    // The first chunk was taken: eight more fill the ring, and the worker waits.
    assert.equal(await settledAt(9), 9);
    // It waits until half the ring is free, so a reader taking one chunk at a time does not wake
    // it for each.
    assert.equal(await reader.read(new Uint8Array(3 * 65536)), 3 * 65536);
    assert.equal(await settledAt(9), 9, "three slots freed: the worker still waits");
    assert.equal(await reader.read(new Uint8Array(65536)), 65536);
    assert.equal(await settledAt(13), 13, "four slots freed: four more reads");
    // The reader takes eight more, one chunk at a time: the worker refills at half each time.
    for (let chunk = 0; chunk < 8; chunk++) {
      assert.equal(await reader.read(new Uint8Array(65536)), 65536);
    }
    assert.equal(await settledAt(21), 21, "eight more taken: eight more reads");
    reader.cancel();
    assert.equal(await reader.read(new Uint8Array(8)), null, "cancelled: the end");
  } finally {
    reader.cancel();
    await reads.remove();
  }
});

test("PipeReader: cancel ends a read that waits for input", async () => {
  // A source that blocks its thread, as a read of an idle pipe does (a second at a time, returning
  // nothing, so the worker reaches JavaScript again, where termination takes effect).
  const reader = new PipeReader({
    readExpression:
      `() => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); return 0; }`,
  });
  const pending = reader.read(new Uint8Array(8));
  await new Promise((resolve) => setTimeout(resolve, 50));
  reader.cancel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    pending,
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("still waiting"), 5000)),
  ]);
  clearTimeout(timer);
  assert.equal(outcome, null);
});

test("PipeReader reads the process's real stdin pipe: 9 MiB written in uneven pieces arrive intact", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pipeReader = new URL("../../lib/cli/pipe_reader.ts", import.meta.url).href;
    const script = `${dir}/read_stdin.ts`;
    await Deno.writeTextFile(
      script,
      `import { PipeReader } from ${JSON.stringify(pipeReader)};
const reader = new PipeReader();
const buffer = new Uint8Array(65518);
let total = 0;
let sum = 0;
for (let count; (count = await reader.read(buffer)) !== null;) {
  for (let index = 0; index < count; index++) sum = (sum * 31 + buffer[index]) >>> 0;
  total += count;
}
console.log(JSON.stringify({ total, sum }));
Deno.exit(0);
`,
    );
    const input = randomBytes(9 * 1024 * 1024 + 4321);
    let expectedSum = 0;
    for (const byte of input) expectedSum = (expectedSum * 31 + byte) >>> 0;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", script],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // A lost wake-up in the child would hang it: kill it and fail instead.
    const result = await outputWhenFed(child, input, [1, 65536, 100_000, 7, 300_000], 60_000);
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(result.stdout)), {
      total: input.length,
      sum: expectedSum,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
