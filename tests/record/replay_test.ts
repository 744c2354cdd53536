import assert from "node:assert/strict";
import { readAsciicast, RecordingFormatError, replayAsciicast } from "../../lib/record/replay.ts";

const HEADER = '{"version":2,"width":80,"height":24}\n';

function source(text: string, chunkSize = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.slice(i, i + chunkSize));
  return ReadableStream.from(chunks);
}

async function play(text: string, options: { speed?: number; maxWaitMs?: number } = {}) {
  const waits: number[] = [];
  let output = "";
  const out = new WritableStream<Uint8Array>({
    write(chunk) {
      output += new TextDecoder().decode(chunk);
    },
  });
  const summary = await replayAsciicast(source(text), out, {
    ...options,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  return { waits, output, summary };
}

Deno.test("replay writes output events with the recorded pauses; input and resize are skipped", async () => {
  const text = HEADER +
    '[0.5,"o","$ "]\n[1.0,"i","ls\\r"]\n[1.5,"o","ls\\r\\n"]\n[1.5,"r","90x20"]\n[4.0,"o","a\\r\\n"]\n';
  const { waits, output, summary } = await play(text);
  assert.equal(output, "$ ls\r\na\r\n");
  assert.deepEqual(waits, [500, 1000, 2500]);
  assert.equal(summary.outputEvents, 3);
  assert.equal(summary.header.width, 80);
});

Deno.test("replay --speed divides pauses and --max-wait caps them", async () => {
  const text = HEADER + '[1,"o","a"]\n[11,"o","b"]\n';
  assert.deepEqual((await play(text, { speed: 2 })).waits, [500, 5000]);
  assert.deepEqual((await play(text, { speed: 2, maxWaitMs: 1000 })).waits, [500, 1000]);
  await assert.rejects(play(text, { speed: 0 }), RangeError);
});

Deno.test("a partial last line (killed session) is ignored; earlier bad lines are errors", async () => {
  const cut = HEADER + '[0.1,"o","a"]\n[0.2,"o","b';
  assert.equal((await play(cut)).output, "a");
  await assert.rejects(
    play(HEADER + '[0.1,"o","a"]\n{oops\n[0.2,"o","b"]\n'),
    (error: unknown) => error instanceof RecordingFormatError && error.line === 3,
  );
  await assert.rejects(
    play(HEADER + '[0.1,"o"]\n[0.2,"o","b"]\n'),
    /line 2: an event must be \[seconds, code, data\]/,
  );
});

Deno.test("headers that are not asciicast v2 are refused with the reason", async () => {
  await assert.rejects(readAsciicast(source("")), /line 1: the recording is empty/);
  await assert.rejects(readAsciicast(source("hello\n")), /not an asciicast recording/);
  await assert.rejects(readAsciicast(source("[1]\n")), /not a JSON object/);
  await assert.rejects(
    readAsciicast(source('{"version":3,"term":{"cols":80,"rows":24}}\n')),
    /asciicast version 3 is not supported \(only version 2\)/,
  );
  await assert.rejects(
    readAsciicast(source('{"version":2}\n')),
    /no numeric width and height/,
  );
});

Deno.test("a line longer than the limit is refused without reading on", async () => {
  const huge = HEADER + '[0,"o","' + "x".repeat(9 * 1024 * 1024);
  await assert.rejects(
    replayAsciicast(ReadableStream.from([new TextEncoder().encode(huge)]), new WritableStream()),
    /line 2: longer than .* characters/,
  );
});
