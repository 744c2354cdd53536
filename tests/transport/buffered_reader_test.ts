/**
 * The buffered reader's one-read API (`readOnce` + `commit`, the bulk receive loop's path) and
 * `byteAt`: the same bytes as `ensure` would buffer, room made the same way, the end of stream as
 * `null`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { BufferedReader } from "../../lib/transport/buffered_reader.ts";
import type { ByteConn } from "../../lib/transport/types.ts";
import { scriptedConn } from "../support/transport_scripted.ts";

/** The shared scripted connection, noting the room each read was given. */
function partsConn(parts: Uint8Array[]): ByteConn & { reads: number[] } {
  const conn = scriptedConn(parts);
  const reads: number[] = [];
  return {
    ...conn,
    reads,
    read(buffer) {
      reads.push(buffer.length);
      return conn.read(buffer);
    },
  };
}

const bytes = (from: number, count: number) =>
  Uint8Array.from({ length: count }, (_, i) => (from + i) & 0xff);

Deno.test("readOnce + commit buffer what ensure would, and byteAt reads it without a view", async () => {
  const reader = new BufferedReader(partsConn([bytes(0, 10), bytes(10, 5)]), 64);
  const first = await reader.readOnce(4);
  assert.equal(first, 10);
  reader.commit(first!);
  assert.equal(reader.buffered, 10);
  assert.deepEqual([reader.byteAt(0), reader.byteAt(9)], [0, 9]);
  reader.consume(8);
  reader.commit((await reader.readOnce(7))!);
  assert.deepEqual(reader.take(7), bytes(8, 7));
  assert.equal(await reader.readOnce(1), null, "the end of stream");
});

Deno.test("readOnce moves the unconsumed bytes to the front when the goal would not fit behind them", async () => {
  const conn = partsConn([bytes(0, 60), bytes(60, 40)]);
  const reader = new BufferedReader(conn, 64);
  reader.commit((await reader.readOnce(60))!);
  reader.consume(56);
  // 4 bytes left at offset 56; a goal of 20 does not fit in the 8 behind them.
  reader.commit((await reader.readOnce(20))!);
  assert.equal(conn.reads[1], 60, "the read went into the 60 bytes freed at the front");
  assert.deepEqual(reader.take(64), bytes(56, 44));
  assert.throws(() => reader.readOnce(65), RangeError);
});
