import assert from "node:assert/strict";
import { fileReadable, neverBlocks, uncloseableFile } from "../../lib/cli/io.ts";
import { ioScript } from "../support/io_script.ts";

Deno.test("uncloseableFile writes every byte through short writes and stays open on close", async () => {
  const written: number[] = [];
  const stream = uncloseableFile({
    write: (bytes) => {
      const count = Math.min(3, bytes.length);
      written.push(...bytes.subarray(0, count));
      return Promise.resolve(count);
    },
  });
  const writer = stream.getWriter();
  await writer.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7));
  await writer.write(Uint8Array.of(8));
  await writer.close();
  assert.deepEqual(written, [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("uncloseableFile passes a failing write (a closed pipe) to the writer", async () => {
  const stream = uncloseableFile({
    write: () => Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")),
  });
  const writer = stream.getWriter();
  await assert.rejects(writer.write(Uint8Array.of(1)), Deno.errors.BrokenPipe);
});

Deno.test("fileReadable reads only when pulled and ends at the file's end", async () => {
  const pieces = [Uint8Array.of(1, 2), Uint8Array.of(3)];
  let reads = 0;
  const stream = fileReadable({
    read: (buffer) => {
      reads++;
      const piece = pieces.shift();
      if (!piece) return Promise.resolve(null);
      buffer.set(piece);
      return Promise.resolve(piece.length);
    },
  }, 8);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(reads, 0, "nothing is read before the first pull");
  const reader = stream.getReader();
  assert.deepEqual((await reader.read()).value, Uint8Array.of(1, 2));
  assert.deepEqual((await reader.read()).value, Uint8Array.of(3));
  assert.equal((await reader.read()).done, true);
  assert.equal(reads, 3);
});

Deno.test("fileReadable passes a failing read to the reader", async () => {
  const stream = fileReadable({
    read: () => Promise.reject(new Deno.errors.Interrupted("read interrupted")),
  });
  await assert.rejects(stream.getReader().read(), Deno.errors.Interrupted);
});

Deno.test("uncloseableFile with a synchronous file writes through writeSync, short writes included", async () => {
  const written: number[] = [];
  const stream = uncloseableFile({
    write: () => Promise.reject(new Error("the asynchronous write must not be used")),
  }, {
    sync: {
      writeSync: (bytes) => {
        written.push(bytes[0]);
        return 1;
      },
    },
  });
  const writer = stream.getWriter();
  await writer.write(Uint8Array.of(5, 6, 7));
  assert.deepEqual(written, [5, 6, 7]);
});

Deno.test("neverBlocks: regular files and /dev/null yes; pipes, terminals and missing paths no", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/out`;
    await Deno.writeTextFile(file, "");
    const fifo = `${dir}/fifo`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success);
    assert.equal(neverBlocks(file, false), true);
    assert.equal(neverBlocks("/dev/null", false), true);
    assert.equal(neverBlocks(fifo, false), false);
    assert.equal(neverBlocks(file, true), false, "a terminal is never written synchronously");
    assert.equal(neverBlocks(`${dir}/missing`, false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("processIo: streams built on first use over the registered sinks, one stream each, bytes in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = await ioScript(
      dir,
      ["outputSinks", "processIo", "writeText"],
      `const io = processIo();
const sinks = outputSinks(io);
await sinks?.stdout.write(new TextEncoder().encode("a"));
await writeText(io.stdout, "b");
await sinks?.stdout.write(new TextEncoder().encode("c"));
await writeText(io.stderr, "e");
await io.flush?.();
console.error(JSON.stringify({ registered: sinks !== undefined, same: io.stdout === io.stdout }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-run", "--allow-env", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), "abc");
    assert.match(stderr, /^e\{"registered":true,"same":true\}\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
