import assert from "node:assert/strict";
import { uncloseableFile } from "../../lib/cli/io.ts";

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
