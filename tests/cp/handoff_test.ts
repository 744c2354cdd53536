import assert from "node:assert/strict";
import { extractTar } from "../../lib/cp/extract.ts";
import { chunkHandoff } from "../../lib/cp/handoff.ts";
import { readTar } from "../../lib/cp/tar_reader.ts";
import { buildArchive, concat, tempDir } from "./helpers.ts";

/** Lets every pending promise and timer callback run. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Lets pending promise reactions run: enough for a writer's next step after its write settled. */
async function microtasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await null;
}

/**
 * Writes `bytes` through `writer` as views of one buffer of `size` bytes, scribbled over as soon
 * as each write settles, as the exec session reuses its read buffer.
 */
async function writeThroughOneBuffer(
  writer: ReturnType<typeof chunkHandoff>["writer"],
  bytes: Uint8Array,
  size: number,
): Promise<void> {
  const buffer = new Uint8Array(size);
  for (let offset = 0; offset < bytes.length; offset += size) {
    const piece = bytes.subarray(offset, offset + size);
    buffer.set(piece);
    await writer.write(buffer.subarray(0, piece.length));
    buffer.fill(0xa5);
  }
  await writer.close();
}

Deno.test("handoff: a write settles only when the reader asks for the next chunk", async () => {
  const { writer, reader } = chunkHandoff();
  let settled = false;
  const first = Uint8Array.of(1, 2, 3);
  const writing = writer.write(first).then(() => settled = true);
  const read = await reader.read();
  assert.equal(read.value, first, "the chunk itself, not a copy");
  await turn();
  assert.equal(settled, false, "the reader still holds the chunk");
  const next = reader.read();
  await writing;
  assert.equal(settled, true);
  await writer.close();
  assert.deepEqual(await next, { value: undefined, done: true });
});

Deno.test("handoff: a reader that waits gets the chunk written later, and done after close", async () => {
  const { writer, reader } = chunkHandoff();
  const waiting = reader.read();
  const writing = writer.write(Uint8Array.of(7));
  assert.deepEqual(await waiting, { value: Uint8Array.of(7), done: false });
  const end = reader.read();
  await writing;
  await writer.close();
  assert.deepEqual(await end, { value: undefined, done: true });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  await assert.rejects(writer.write(Uint8Array.of(8)), TypeError);
});

Deno.test("handoff: a chunk written before close is still read, then done", async () => {
  const { writer, reader } = chunkHandoff();
  const writing = writer.write(Uint8Array.of(9));
  await writer.close();
  assert.deepEqual(await reader.read(), { value: Uint8Array.of(9), done: false });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  await writing;
});

Deno.test("handoff: abort makes the waiting read and later reads reject with the reason", async () => {
  const { writer, reader } = chunkHandoff();
  const waiting = reader.read();
  const reason = new Error("connection lost");
  await writer.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await assert.rejects(reader.read(), (error) => error === reason);
});

Deno.test("handoff: abort rejects a chunk nobody took", async () => {
  const { writer } = chunkHandoff();
  const reason = new Error("stop");
  const writing = writer.write(Uint8Array.of(1));
  await writer.abort(reason);
  await assert.rejects(writing, (error) => error === reason);
});

Deno.test("handoff: cancel rejects the held and the later writes with the reader's reason", async () => {
  const { writer, reader } = chunkHandoff();
  const held = writer.write(Uint8Array.of(1));
  await reader.read();
  const reason = new Error("extraction failed");
  await reader.cancel(reason);
  await assert.rejects(held, (error) => error === reason);
  await assert.rejects(writer.write(Uint8Array.of(2)), (error) => error === reason);
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
});

Deno.test("handoff: cancel rejects a chunk written but not yet read, and ends a waiting read", async () => {
  const first = chunkHandoff();
  const writing = first.writer.write(Uint8Array.of(1));
  await first.reader.cancel();
  await assert.rejects(writing, Error);

  const second = chunkHandoff();
  const waiting = second.reader.read();
  await second.reader.cancel(new Error("stop"));
  assert.deepEqual(await waiting, { value: undefined, done: true });
});

Deno.test("handoff: a second write before the first settled is refused", async () => {
  const { writer, reader } = chunkHandoff();
  const first = writer.write(Uint8Array.of(1));
  await assert.rejects(writer.write(Uint8Array.of(2)), TypeError);
  assert.deepEqual(await reader.read(), { value: Uint8Array.of(1), done: false });
  await writer.close();
  await reader.read();
  await first;
});

Deno.test("handoff: the tar reader keeps nothing of a chunk past its next read", async () => {
  const members = Array.from({ length: 40 }, (_, i) => ({
    name: `dir/file-${i}.txt`,
    data: new TextEncoder().encode(`${i} `.repeat(i * 37)),
  }));
  const archive = buildArchive(
    members.map(({ name, data }) => ({ entry: { name, type: "file" as const }, data })),
  );
  // Buffer sizes that split headers and bodies everywhere, one that holds many members.
  for (const size of [97, 512, 700, 8192]) {
    const { writer, reader } = chunkHandoff();
    const writing = writeThroughOneBuffer(writer, archive, size);
    const seen: Array<{ name: string; text: string }> = [];
    for await (const entry of readTar(reader)) {
      const parts: Uint8Array[] = [];
      for (let piece = await entry.read(); piece !== null; piece = await entry.read()) {
        parts.push(piece.slice());
        await microtasks(); // the writer may not touch the buffer while the piece is held
        assert.deepEqual(piece, parts.at(-1), `${entry.header.name} changed while held`);
      }
      seen.push({ name: entry.header.name, text: new TextDecoder().decode(concat(parts)) });
    }
    await writing;
    assert.deepEqual(
      seen,
      members.map(({ name, data }) => ({ name, text: new TextDecoder().decode(data) })),
      `buffer of ${size} bytes`,
    );
  }
});

Deno.test("handoff: extraction from one reused buffer writes every file intact", async () => {
  await using work = await tempDir();
  const members = Array.from({ length: 30 }, (_, i) => ({
    name: `site/page-${i}.html`,
    data: crypto.getRandomValues(new Uint8Array(1000 + i * 611)),
  }));
  const { writer, reader } = chunkHandoff();
  const archive = buildArchive(
    members.map(({ name, data }) => ({ entry: { name, type: "file" as const }, data })),
  );
  const writing = writeThroughOneBuffer(writer, archive, 1024);
  const result = await extractTar(reader, `${work.path}/site`, { prefix: "site" });
  await writing;
  assert.equal(result.files, members.length);
  for (const { name, data } of members) {
    assert.deepEqual(await Deno.readFile(`${work.path}/${name}`), data, name);
  }
});
