import assert from "node:assert/strict";
import { ProbedInput, ProbedOutput, syncReads } from "../../lib/cli/probed_io.ts";
import { WriteBehind } from "../../lib/cli/write_behind.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { ioScript } from "../support/io_script.ts";
import { execThroughPipes } from "../support/pipe_exec.ts";
import { randomBytes } from "../support/random_bytes.ts";

/** One file seen through both writes; every byte lands in `bytes`, tagged with how it came. */
function fakeFile() {
  const bytes: number[] = [];
  const via: ("async" | "sync")[] = [];
  let release: (() => void) | undefined;
  let held = false;
  return {
    bytes,
    via,
    /** Makes asynchronous writes wait until `resume` (a slow reader). */
    hold() {
      held = true;
    },
    resume() {
      held = false;
      release?.();
    },
    async write(chunk: Uint8Array): Promise<number> {
      while (held) await new Promise<void>((resolve) => release = resolve);
      for (const byte of chunk) bytes.push(byte), via.push("async");
      return chunk.length;
    },
    writeSync(chunk: Uint8Array): number {
      const count = Math.min(chunk.length, 3); // short writes too
      for (const byte of chunk.subarray(0, count)) bytes.push(byte), via.push("sync");
      return count;
    },
  };
}

const chunk = (from: number, length: number) =>
  Uint8Array.from({ length }, (_, index) => (from + index) & 0xff);

/** A probe that answers with `answer()` and counts how often it was asked. */
function countingProbe(answer: () => Promise<boolean> = () => Promise.resolve(true)) {
  const probe = Object.assign(() => {
    probe.calls++;
    return answer();
  }, { calls: 0 });
  return probe;
}

Deno.test("ProbedOutput stays behind the buffer and never probes below the threshold", async () => {
  const file = fakeFile();
  const probe = countingProbe();
  const sink = new ProbedOutput(new WriteBehind(file, 8), file, probe, 100);
  for (let index = 0; index < 9; index++) await sink.write(chunk(index * 10, 10));
  await sink.flush();
  assert.equal(probe.calls, 0);
  assert.equal(sink.direct, false);
  assert.deepEqual(file.bytes, [...chunk(0, 90)]);
  assert.ok(file.via.every((how) => how === "async"));
});

Deno.test("ProbedOutput switches to synchronous writes once the probe says yes, bytes in order", async () => {
  const file = fakeFile();
  const probe = countingProbe();
  const sink = new ProbedOutput(new WriteBehind(file, 16), file, probe, 20);
  // A slow reader keeps bytes in the write-behind while the probe answers.
  file.hold();
  await sink.write(chunk(0, 10));
  await sink.write(chunk(10, 10)); // the threshold: the probe is asked
  await new Promise((resolve) => setTimeout(resolve, 0));
  // The answer arrived while bytes are still buffered: these writes must wait for them.
  const late = [sink.write(chunk(20, 10)), sink.write(chunk(30, 10))];
  file.resume();
  await Promise.all(late);
  await sink.write(chunk(40, 10));
  await sink.flush();
  assert.equal(probe.calls, 1);
  assert.equal(sink.direct, true);
  assert.deepEqual(file.bytes, [...chunk(0, 50)]);
  assert.deepEqual(file.via.slice(0, 20), Array(20).fill("async"));
  assert.deepEqual(file.via.slice(20), Array(30).fill("sync"));
});

Deno.test("ProbedOutput keeps the write-behind when the probe says no or fails", async () => {
  for (const answer of [() => Promise.resolve(false), () => Promise.reject(new Error("no sh"))]) {
    const file = fakeFile();
    const probe = countingProbe(answer);
    const sink = new ProbedOutput(new WriteBehind(file, 8), file, probe, 10);
    for (let index = 0; index < 5; index++) {
      await sink.write(chunk(index * 10, 10));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await sink.flush();
    assert.equal(probe.calls, 1, "asked once");
    assert.equal(sink.direct, false);
    assert.deepEqual(file.bytes, [...chunk(0, 50)]);
    assert.ok(file.via.every((how) => how === "async"));
  }
});

Deno.test("ProbedOutput passes a failed drain (a closed pipe) to the next write", async () => {
  const behind = new WriteBehind({ write: () => Promise.reject(new Error("broken pipe")) }, 8);
  const sink = new ProbedOutput(behind, { writeSync: (bytes) => bytes.length }, () => {
    return Promise.resolve(true);
  }, 4);
  await sink.write(chunk(0, 4));
  await new Promise((resolve) => setTimeout(resolve, 0));
  await assert.rejects(async () => await sink.write(chunk(4, 4)), /broken pipe/);
});

Deno.test("with the shipped permissions /dev/stdin and /dev/stdout cannot be examined, and the probe tells a file and /dev/null from a pipe", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = await ioScript(
      dir,
      ["neverBlocks", "streamNeverBlocks"],
      `const stream = Deno.args[0];
const examined = neverBlocks("/dev/" + stream, false);
const probed = await streamNeverBlocks(stream);
Deno.stderr.writeSync(new TextEncoder().encode(JSON.stringify({ examined: examined ?? null, probed })));
`,
    );
    await Deno.writeTextFile(`${dir}/in`, "some input\n");
    const run = async (stream: "stdin" | "stdout", redirect: string) => {
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          `exec "$0" run ${SHIPPED_PERMISSIONS.join(" ")} "$1" ${stream} ${redirect}`,
          Deno.execPath(),
          script,
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await child.stdin.close(); // stdin without a redirect: an empty pipe
      const result = await child.output();
      const stderr = new TextDecoder().decode(result.stderr);
      assert.ok(result.success, stderr);
      return JSON.parse(stderr.slice(stderr.indexOf("{")));
    };
    const no = { examined: null, probed: false };
    const yes = { examined: null, probed: true };
    assert.deepEqual(await run("stdout", "> /dev/null"), yes);
    assert.deepEqual(await run("stdout", `> ${dir}/out`), yes);
    assert.deepEqual(await run("stdout", ""), no, "a pipe");
    assert.deepEqual(await run("stdout", "| cat > /dev/null"), no);
    assert.deepEqual(await run("stdin", "< /dev/null"), yes);
    assert.deepEqual(await run("stdin", `< ${dir}/in`), yes);
    assert.deepEqual(await run("stdin", ""), no, "a pipe");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A file read both ways: `async` and `sync` record which read served each call. */
function fakeInput(content: Uint8Array, step = 4) {
  let offset = 0;
  const via: ("async" | "sync")[] = [];
  let held: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const take = (buffer: Uint8Array) => {
    if (offset >= content.length) return null;
    const count = Math.min(step, buffer.length, content.length - offset);
    buffer.set(content.subarray(offset, offset + count));
    offset += count;
    return count;
  };
  return {
    via,
    /** Makes the next asynchronous reads wait until `resume`. */
    hold() {
      held = new Promise((resolve) => release = resolve);
    },
    resume() {
      held = undefined;
      release?.();
    },
    async read(buffer: Uint8Array): Promise<number | null> {
      if (held) await held;
      via.push("async");
      return take(buffer);
    },
    readSync(buffer: Uint8Array): number | null {
      via.push("sync");
      return take(buffer);
    },
  };
}

async function readAll(input: { read(buffer: Uint8Array): Promise<number | null> }) {
  const out: number[] = [];
  const buffer = new Uint8Array(16);
  for (;;) {
    const count = await input.read(buffer);
    if (count === null) return out;
    out.push(...buffer.subarray(0, count));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("ProbedInput reads asynchronously below the threshold and never probes", async () => {
  const file = fakeInput(chunk(0, 20));
  const probe = countingProbe();
  const input = new ProbedInput(file, file, probe, 100);
  assert.deepEqual(await readAll(input), [...chunk(0, 20)]);
  assert.equal(probe.calls, 0);
  assert.ok(file.via.every((how) => how === "async"));
});

Deno.test("ProbedInput switches to readSync once the probe says yes, bytes in order", async () => {
  const file = fakeInput(chunk(0, 40));
  const probe = countingProbe();
  const input = new ProbedInput(file, file, probe, 8);
  assert.deepEqual(await readAll(input), [...chunk(0, 40)]);
  assert.equal(probe.calls, 1);
  assert.equal(input.direct, true);
  assert.deepEqual(file.via.slice(0, 2), ["async", "async"]);
  assert.equal(file.via.at(-1), "sync");
  assert.ok(file.via.filter((how) => how === "sync").length >= 7);
});

Deno.test("ProbedInput waits for an asynchronous read in flight before reading synchronously", async () => {
  const file = fakeInput(chunk(0, 16));
  let answer: ((neverBlocks: boolean) => void) | undefined;
  const input = new ProbedInput(
    file,
    file,
    () => new Promise<boolean>((resolve) => answer = resolve),
    4,
  );
  const buffers = [0, 1, 2, 3].map(() => new Uint8Array(4));
  assert.equal(await input.read(buffers[0]), 4); // the threshold: the probe is asked
  file.hold();
  const second = input.read(buffers[1]); // in flight while the answer comes
  answer!(true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(input.direct, true);
  // A caller that overlaps reads: this one must not overtake the one in flight.
  const third = input.read(buffers[2]);
  file.resume();
  assert.deepEqual(await Promise.all([second, third]), [4, 4]);
  assert.equal(await input.read(buffers[3]), 4);
  assert.deepEqual(buffers.flatMap((buffer) => [...buffer]), [...chunk(0, 16)]);
  assert.deepEqual(file.via, ["async", "async", "async", "sync"]);
});

Deno.test("ProbedInput keeps asynchronous reads when the probe says no or fails; a failing readSync rejects", async () => {
  for (const probe of [() => Promise.resolve(false), () => Promise.reject(new Error("no sh"))]) {
    const file = fakeInput(chunk(0, 24));
    const input = new ProbedInput(file, file, probe, 4);
    assert.deepEqual(await readAll(input), [...chunk(0, 24)]);
    assert.equal(input.direct, false);
    assert.ok(file.via.every((how) => how === "async"));
  }
  const failing = syncReads({
    readSync: () => {
      throw new Deno.errors.Interrupted("read interrupted");
    },
  });
  await assert.rejects(failing.read(new Uint8Array(4)), Deno.errors.Interrupted);
});

Deno.test("ProbedInput hands reads to the pipe source when the probe says no or fails, never while a read is in flight", async () => {
  for (const answer of [() => Promise.resolve(false), () => Promise.reject(new Error("no sh"))]) {
    const file = fakeInput(chunk(0, 32));
    let made = 0;
    let cancelled = 0;
    // The pipe source reads the same file, tagged so the test sees which read served each call.
    const pipe = () => {
      made++;
      return {
        read: (buffer: Uint8Array) => Promise.resolve(file.readSync(buffer)),
        cancel: () => void cancelled++,
      };
    };
    let respond: (() => void) | undefined;
    const input = new ProbedInput(
      file,
      file,
      () =>
        new Promise<boolean>((resolve, reject) => {
          respond = () => answer().then(resolve, reject);
        }),
      4,
      pipe,
    );
    const buffers = [0, 1, 2, 3].map(() => new Uint8Array(4));
    assert.equal(await input.read(buffers[0]), 4); // the threshold: the probe is asked
    file.hold();
    const second = input.read(buffers[1]); // in flight while the answer comes
    respond!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(input.piped, true);
    assert.equal(input.direct, false);
    const third = input.read(buffers[2]); // must not overtake the read in flight
    file.resume();
    assert.deepEqual(await Promise.all([second, third]), [4, 4]);
    assert.equal(await input.read(buffers[3]), 4);
    assert.deepEqual(buffers.flatMap((buffer) => [...buffer]), [...chunk(0, 16)]);
    assert.deepEqual(file.via, ["async", "async", "async", "sync"]);
    assert.equal(made, 1);
    input.cancel();
    assert.equal(cancelled, 1, "cancel stops the pipe source");
  }
});

Deno.test("ProbedInput: a pipe source that cannot be made leaves the reads asynchronous", async () => {
  const file = fakeInput(chunk(0, 24));
  const input = new ProbedInput(file, file, () => Promise.resolve(false), 4, () => {
    throw new Error("workers are not supported here");
  });
  assert.deepEqual(await readAll(input), [...chunk(0, 24)]);
  assert.equal(input.piped, false);
  assert.ok(file.via.every((how) => how === "async"));
});

Deno.test("ProbedInput: a cancelled input never starts the pipe source", async () => {
  const file = fakeInput(chunk(0, 8));
  let answer: ((neverBlocks: boolean) => void) | undefined;
  let made = 0;
  const input = new ProbedInput(
    file,
    file,
    () => new Promise<boolean>((resolve) => answer = resolve),
    4,
    () => {
      made++;
      return { read: () => Promise.resolve(null), cancel: () => {} };
    },
  );
  assert.equal(await input.read(new Uint8Array(4)), 4);
  input.cancel();
  answer!(false);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(made, 0);
  assert.equal(input.piped, false);
});

Deno.test("exec -i < file > file through the process's own streams: 6 MiB each way, intact across both switches", async () => {
  const server = await startFakeApiServer({
    pods: [{ name: "box", containers: [{ name: "app" }] }],
  });
  const dir = await Deno.makeTempDir();
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const input = randomBytes(6 * 1024 * 1024 + 12345);
    await Deno.writeFile(`${dir}/in`, input);
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const result = await new Deno.Command("sh", {
      args: [
        "-c",
        `exec "$0" run ${
          SHIPPED_PERMISSIONS.join(" ")
        } "$1" --kubeconfig "$2" exec -i box -- cat < "$3/in" > "$3/out"`,
        Deno.execPath(),
        main,
        kubeconfig,
        dir,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    const output = await Deno.readFile(`${dir}/out`);
    assert.equal(output.length, input.length);
    assert.ok(output.every((byte, index) => byte === input[index]), "bytes differ");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.close();
  }
});

Deno.test("exec -i from a pipe to a pipe through the process's own streams: 12 MiB intact across the switch to the reader thread", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const { exitCode, stderr, intact } = await execThroughPipes(
    [Deno.execPath(), "run", ...SHIPPED_PERMISSIONS, main],
    Deno.cwd(),
  );
  assert.equal(exitCode, 0, stderr);
  assert.ok(intact, "bytes differ");
});
