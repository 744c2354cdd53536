/**
 * The writer behind `cp`'s own output: tar's stderr lines, `Resuming copy at …` and a file copied
 * to `/dev/stdout` share one stream, and each is written whole, in the order it was asked for,
 * even when the stream is slow.
 */
import assert from "node:assert/strict";
import { lineWriter } from "../../lib/cli/commands/cp.ts";

/** A stream whose every write takes a few milliseconds, as a pipe to a busy reader does. */
function slowStream(): { stream: WritableStream<Uint8Array>; text(): string[] } {
  const decoder = new TextDecoder();
  const received: string[] = [];
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      received.push(decoder.decode(chunk));
    },
  });
  return { stream, text: () => received };
}

Deno.test("cp's writer: a line asked for while file bytes are being written waits its turn", async () => {
  const encoder = new TextEncoder();
  const out = slowStream();
  const lines = lineWriter({ clear: () => Promise.resolve() });
  const first = lines.writeBytes(out.stream, encoder.encode("first part of the file\n"));
  lines.write(out.stream, "tar: Removing leading `/' from member names\n");
  const second = lines.writeBytes(out.stream, encoder.encode("second part\n"));
  await Promise.all([first, second]);
  await lines.flushed();
  assert.deepEqual(out.text(), [
    "first part of the file\n",
    "tar: Removing leading `/' from member names\n",
    "second part\n",
  ]);
});

Deno.test("cp's writer: a failed write of the file rejects its own promise; a line after it is dropped, not thrown", async () => {
  let failNext = true;
  const received: string[] = [];
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      if (failNext) {
        failNext = false;
        throw new Deno.errors.BrokenPipe("reader went away");
      }
      received.push(new TextDecoder().decode(chunk));
    },
  });
  const lines = lineWriter({ clear: () => Promise.resolve() });
  await assert.rejects(
    lines.writeBytes(stream, new Uint8Array([1])),
    Deno.errors.BrokenPipe,
  );
  // The stream is errored now: a line after it is dropped, not thrown at the caller.
  lines.write(stream, "late line\n");
  await lines.flushed();
  assert.deepEqual(received, []);
});
