import assert from "node:assert/strict";
import { ProbedOutput } from "../../lib/cli/probed_output.ts";
import { WriteBehind } from "../../lib/cli/write_behind.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";

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

Deno.test("ProbedOutput stays behind the buffer and never probes below the threshold", async () => {
  const file = fakeFile();
  let probes = 0;
  const sink = new ProbedOutput(new WriteBehind(file, 8), file, () => {
    probes++;
    return Promise.resolve(true);
  }, 100);
  for (let index = 0; index < 9; index++) await sink.write(chunk(index * 10, 10));
  await sink.flush();
  assert.equal(probes, 0);
  assert.equal(sink.direct, false);
  assert.deepEqual(file.bytes, [...chunk(0, 90)]);
  assert.ok(file.via.every((how) => how === "async"));
});

Deno.test("ProbedOutput switches to synchronous writes once the probe says yes, bytes in order", async () => {
  const file = fakeFile();
  let probes = 0;
  const sink = new ProbedOutput(new WriteBehind(file, 16), file, () => {
    probes++;
    return Promise.resolve(true);
  }, 20);
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
  assert.equal(probes, 1);
  assert.equal(sink.direct, true);
  assert.deepEqual(file.bytes, [...chunk(0, 50)]);
  assert.deepEqual(file.via.slice(0, 20), Array(20).fill("async"));
  assert.deepEqual(file.via.slice(20), Array(30).fill("sync"));
});

Deno.test("ProbedOutput keeps the write-behind when the probe says no or fails", async () => {
  for (const probe of [() => Promise.resolve(false), () => Promise.reject(new Error("no sh"))]) {
    const file = fakeFile();
    let probes = 0;
    const sink = new ProbedOutput(new WriteBehind(file, 8), file, () => {
      probes++;
      return probe();
    }, 10);
    for (let index = 0; index < 5; index++) {
      await sink.write(chunk(index * 10, 10));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await sink.flush();
    assert.equal(probes, 1, "asked once");
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

Deno.test("with the shipped permissions /dev/stdout cannot be examined, and the probe tells a file and /dev/null from a pipe", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { neverBlocks, stdoutNeverBlocks } from ${
        JSON.stringify(new URL("../../lib/cli/io.ts", import.meta.url).href)
      };
const examined = neverBlocks("/dev/stdout", false);
const probed = await stdoutNeverBlocks();
Deno.stderr.writeSync(new TextEncoder().encode(JSON.stringify({ examined: examined ?? null, probed })));
`,
    );
    const run = async (redirect: string) => {
      const output = await new Deno.Command("sh", {
        args: [
          "-c",
          `exec "$0" run ${SHIPPED_PERMISSIONS.join(" ")} "$1" ${redirect}`,
          Deno.execPath(),
          script,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.ok(output.success, stderr);
      return JSON.parse(stderr.slice(stderr.indexOf("{")));
    };
    assert.deepEqual(await run("> /dev/null"), { examined: null, probed: true });
    assert.deepEqual(await run(`> ${dir}/out`), { examined: null, probed: true });
    assert.deepEqual(await run(""), { examined: null, probed: false }, "a pipe");
    assert.deepEqual(await run(`| cat > /dev/null`), { examined: null, probed: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
