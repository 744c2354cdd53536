import assert from "node:assert/strict";
import { AsciicastWriter, RecordingWriteError } from "../../lib/record/asciicast.ts";
import { readAsciicast } from "../../lib/record/replay.ts";

const encoder = new TextEncoder();

function memorySink(): { sink: WritableStream<Uint8Array>; text: () => string; writes: number[] } {
  const chunks: Uint8Array[] = [];
  const writes: number[] = [];
  return {
    sink: new WritableStream({
      write(chunk) {
        chunks.push(chunk.slice());
        writes.push(chunk.length);
      },
    }),
    text: () => chunks.map((chunk) => new TextDecoder().decode(chunk)).join(""),
    writes,
  };
}

function clock(times: number[]): () => number {
  let index = 0;
  return () => times[Math.min(index++, times.length - 1)];
}

Deno.test("asciicast writer: header, output, input and resize events, one line per write", async () => {
  const { sink, text, writes } = memorySink();
  const cast = await AsciicastWriter.start(sink, {
    width: 120,
    height: 40,
    timestamp: 1700000000,
    command: "kubexec exec -it web-0",
    title: "web-0",
    env: { TERM: "xterm-256color" },
  }, { now: clock([1000, 1500, 2250, 3000]) });
  await cast.output(encoder.encode("$ "));
  await cast.input(encoder.encode("ls\r"));
  await cast.resize(100, 30);
  await cast.close();
  const lines = text().split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(JSON.parse(lines[0]), {
    version: 2,
    width: 120,
    height: 40,
    timestamp: 1700000000,
    command: "kubexec exec -it web-0",
    title: "web-0",
    env: { TERM: "xterm-256color" },
  });
  assert.deepEqual(lines.slice(1).map((line) => JSON.parse(line)), [
    [0.5, "o", "$ "],
    [1.25, "i", "ls\r"],
    [2, "r", "100x30"],
  ]);
  assert.equal(writes.length, 4, "each line is one write");
});

Deno.test("asciicast writer: a UTF-8 character split across chunks is written whole", async () => {
  const { sink, text } = memorySink();
  const cast = await AsciicastWriter.start(sink, { width: 80, height: 24 });
  const bytes = encoder.encode("é€");
  await cast.output(bytes.subarray(0, 1));
  await cast.output(bytes.subarray(1, 3));
  await cast.output(bytes.subarray(3, 5));
  await cast.output(new Uint8Array([0xe2]));
  await cast.close();
  const { events } = await readAsciicast(new Blob([text()]).stream());
  const data: string[] = [];
  for await (const event of events) data.push(event.data);
  assert.deepEqual(data, ["é", "€", "\ufffd"]);
});

Deno.test("asciicast writer: a failing sink is reported once and later events are dropped", async () => {
  let writes = 0;
  const sink = new WritableStream<Uint8Array>({
    write() {
      if (++writes === 2) throw new Error("disk full");
    },
  });
  const cast = await AsciicastWriter.start(sink, { width: 80, height: 24 }, { target: "s.cast" });
  await cast.output(encoder.encode("a"));
  await cast.output(encoder.encode("b"));
  await cast.close();
  assert.ok(cast.failure instanceof RecordingWriteError);
  assert.match(cast.failure.message, /writing the session recording s\.cast failed: disk full/);
  assert.equal(writes, 2);
});
