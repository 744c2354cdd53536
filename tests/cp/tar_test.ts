import assert from "node:assert/strict";
import { TarFormatError, TarWriteError } from "../../lib/cp/errors.ts";
import { packLocalPath } from "../../lib/cp/pack.ts";
import {
  decodePaxRecords,
  encodePaxRecords,
  readNumericField,
  sealHeader,
  writeNumericField,
} from "../../lib/cp/tar_format.ts";
import { readTar } from "../../lib/cp/tar_reader.ts";
import { directSourceOf } from "../../lib/stream/direct_io.ts";
import { createTarStream, encodeTarHeader, type TarWriterInput } from "../../lib/cp/tar_writer.ts";
import { buildArchive, chunked, collect, concat, run, tempDir } from "./helpers.ts";

const encoder = new TextEncoder();

async function entriesOf(archive: Uint8Array, chunkSize = 333) {
  const out: Array<
    {
      name: string;
      type: string;
      size: number;
      text: string;
      linkname: string;
      mtime: number;
      uid: number;
      mode: number;
    }
  > = [];
  for await (const { header, body } of readTar(chunked(archive, chunkSize))) {
    const data = await collect(body);
    out.push({
      name: header.name,
      type: header.type,
      size: header.size,
      text: new TextDecoder().decode(data),
      linkname: header.linkname,
      mtime: header.mtime,
      uid: header.uid,
      mode: header.mode,
    });
  }
  return out;
}

Deno.test("tar format: octal and base-256 numeric fields round-trip", () => {
  const block = new Uint8Array(512);
  assert.equal(writeNumericField(block, 124, 12, 0o777), true);
  assert.equal(readNumericField(block, 124, 12), 0o777);
  assert.equal(writeNumericField(block, 124, 12, 10 * 1024 ** 3), false);
  assert.equal(block[124] & 0x80, 0x80);
  assert.equal(readNumericField(block, 124, 12), 10 * 1024 ** 3);
  assert.equal(readNumericField(encoder.encode("  123 \0\0\0"), 0, 9), 0o123);
  assert.equal(readNumericField(encoder.encode("12x4\0\0\0\0"), 0, 8), undefined);
  assert.equal(readNumericField(new Uint8Array([0xff, 0xff, 0xff, 0xfe]), 0, 4), undefined);
});

Deno.test("tar format: PAX records encode their own length and reject malformed input", () => {
  const data = encodePaxRecords([["path", "é".repeat(60)], ["size", "9999999999999"]]);
  const records = decodePaxRecords(data)!;
  assert.equal(records.get("path"), "é".repeat(60));
  assert.equal(records.get("size"), "9999999999999");
  // The length prefix counts itself, including when adding a digit changes the total.
  for (let n = 1; n < 120; n++) {
    const one = encodePaxRecords([["k", "v".repeat(n)]]);
    assert.equal(Number(new TextDecoder().decode(one).split(" ")[0]), one.length);
  }
  assert.equal(decodePaxRecords(encoder.encode("99 path=a\n")), undefined);
  assert.equal(decodePaxRecords(encoder.encode("x path=a\n")), undefined);
  assert.equal(decodePaxRecords(encoder.encode("9 patha\n\n")), undefined);
});

Deno.test("tar writer: long, unicode and spaced names, symlinks, 8 GiB sizes read back by GNU tar", async () => {
  await using dir = await tempDir();
  const longName = `${"deep/".repeat(30)}file with spaces ünïcødé.txt`;
  const linkTarget = `${"t".repeat(150)}`;
  async function* members(): AsyncGenerator<TarWriterInput> {
    yield { entry: { name: "top", type: "directory", mtime: 1_700_000_000 } };
    yield {
      entry: {
        name: `top/${longName}`,
        type: "file",
        size: 5,
        mode: 0o640,
        mtime: 1_700_000_000.25,
        uid: 4_000_000,
      },
      body: [encoder.encode("hello")],
    };
    yield { entry: { name: "top/link", type: "symlink", linkname: linkTarget } };
  }
  const archive = await collect(
    createTarStream(members(), { subSecondMtime: true, chunkSize: 1000 }),
  );
  await Deno.writeFile(`${dir.path}/a.tar`, archive);
  const listed = await run("tar", ["--numeric-owner", "-tvf", `${dir.path}/a.tar`]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stdout,
    new RegExp(`-rw-r----- 4000000/0\\s+5 .* top/${longName.replace(/[.]/g, "\\.")}`),
  );
  assert.match(listed.stdout, new RegExp(`top/link -> ${linkTarget}`));
  const extracted = await run("tar", ["-xf", `${dir.path}/a.tar`, "-C", dir.path]);
  assert.equal(extracted.code, 0, extracted.stderr);
  assert.equal(await Deno.readTextFile(`${dir.path}/top/${longName}`), "hello");
  const info = await Deno.stat(`${dir.path}/top/${longName}`);
  assert.equal(info.mtime!.getTime(), 1_700_000_000_250);

  // An 8 GiB member: GNU tar must list the size from the header (the body is absent, so it then complains).
  const huge = encodeTarHeader({ name: "huge.bin", type: "file", size: 8 * 1024 ** 3 + 1 });
  await Deno.writeFile(`${dir.path}/huge.tar`, concat([huge, new Uint8Array(1024)]));
  const hugeList = await run("tar", ["-tvf", `${dir.path}/huge.tar`]);
  assert.match(hugeList.stdout, /8589934593 .* huge\.bin/);
  for await (const { header } of readTar(chunked(concat([huge, new Uint8Array(1024)])))) {
    assert.equal(header.size, 8 * 1024 ** 3 + 1);
    break;
  }
});

Deno.test("tar writer: bodies shorter or longer than declared are errors", async () => {
  async function* short(): AsyncGenerator<TarWriterInput> {
    yield { entry: { name: "a", type: "file", size: 10 }, body: [encoder.encode("abc")] };
  }
  await assert.rejects(
    collect(createTarStream(short())),
    (error: unknown) => error instanceof TarWriteError && /ended after 3 of 10/.test(error.message),
  );
  async function* long(): AsyncGenerator<TarWriterInput> {
    yield { entry: { name: "a", type: "file", size: 2 }, body: [encoder.encode("abc")] };
  }
  await assert.rejects(
    collect(createTarStream(long())),
    (error: unknown) =>
      error instanceof TarWriteError && /longer than the declared/.test(error.message),
  );
  const reader = { read: () => Promise.resolve(null) };
  async function* shrunk(): AsyncGenerator<TarWriterInput> {
    yield { entry: { name: "a", type: "file", size: 4 }, body: reader };
  }
  await assert.rejects(
    collect(createTarStream(shrunk())),
    (error: unknown) => error instanceof TarWriteError && /shrank/.test(error.message),
  );
  assert.throws(() => encodeTarHeader({ name: "", type: "file" }), TarWriteError);
  assert.throws(() => encodeTarHeader({ name: "a", type: "file", size: -1 }), /invalid size -1/);
  async function* bodiless(): AsyncGenerator<TarWriterInput> {
    yield { entry: { name: "a", type: "file", size: 1 } };
  }
  await assert.rejects(collect(createTarStream(bodiless())), /file entry without body/);
});

Deno.test("tar reader: GNU tar archives (gnu and posix formats, long names, base-256 ids) read correctly", async () => {
  await using dir = await tempDir();
  const longDir = "d".repeat(120);
  await Deno.mkdir(`${dir.path}/src/${longDir}`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/src/${longDir}/${"f".repeat(110)}`, "long");
  await Deno.writeTextFile(`${dir.path}/src/ünï cødé`, "uni");
  await Deno.symlink("x".repeat(130), `${dir.path}/src/longlink`);
  await Deno.writeFile(`${dir.path}/src/big`, new Uint8Array(70_000).fill(7));
  for (const format of ["gnu", "posix", "ustar"]) {
    const args = ["--format", format, "-cf", "-", "-C", dir.path, "src"];
    if (format === "gnu") args.splice(2, 0, "--owner=someone:3000000");
    if (format === "ustar") {
      args.splice(args.indexOf("src"), 1, "src/big", "src/ünï cødé");
    }
    const output = await new Deno.Command("tar", { args, stdout: "piped", stderr: "piped" })
      .output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const entries = await entriesOf(output.stdout);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    assert.equal(byName.get("src/big")?.size, 70_000, format);
    assert.equal(byName.get("src/ünï cødé")?.text, "uni", format);
    if (format !== "ustar") {
      assert.equal(byName.get(`src/${longDir}/${"f".repeat(110)}`)?.text, "long", format);
      assert.equal(byName.get("src/longlink")?.linkname, "x".repeat(130), format);
      assert.equal(byName.get("src")?.type, "directory", format);
    }
    if (format === "gnu") assert.equal(byName.get("src/big")?.uid, 3_000_000);
  }
});

Deno.test("tar reader: our packer's output round-trips through the reader at any chunking", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/t/sub`, { recursive: true });
  await Deno.writeFile(`${dir.path}/t/sub/a`, new Uint8Array(1500).fill(1));
  await Deno.writeFile(`${dir.path}/t/b`, new Uint8Array(0));
  await Deno.chmod(`${dir.path}/t/b`, 0o600);
  const archive = await collect(
    packLocalPath(`${dir.path}/t`, { archiveName: "root", chunkSize: 4096 }),
  );
  for (const chunkSize of [1, 511, 512, 513, 100_000]) {
    const entries = await entriesOf(archive, chunkSize);
    assert.deepEqual(entries.map((entry) => `${entry.type} ${entry.name} ${entry.size}`), [
      "directory root 0",
      "file root/b 0",
      "directory root/sub 0",
      "file root/sub/a 1500",
    ]);
    assert.equal(entries[1].mode, 0o600);
  }
});

Deno.test("tar reader: a body left unread is skipped when the next member is requested", async () => {
  const archive = buildArchive([
    { entry: { name: "a", type: "file" }, data: new Uint8Array(2000).fill(1) },
    { entry: { name: "b", type: "file" }, data: encoder.encode("bee") },
  ]);
  const names: string[] = [];
  let lastText = "";
  for await (const { header, body } of readTar(chunked(archive, 100))) {
    names.push(header.name);
    if (header.name === "b") lastText = new TextDecoder().decode(await collect(body));
  }
  assert.deepEqual(names, ["a", "b"]);
  assert.equal(lastText, "bee");
});

Deno.test("tar reader: read() gives the body without a stream, the same bytes at any chunking", async () => {
  const first = new Uint8Array(2000).map((_, i) => i % 251);
  const archive = buildArchive([
    { entry: { name: "a", type: "file" }, data: first },
    { entry: { name: "b", type: "file" }, data: encoder.encode("bee") },
    { entry: { name: "empty", type: "file" }, data: new Uint8Array(0) },
    { entry: { name: "c", type: "file" }, data: encoder.encode("sea") },
  ]);
  for (const chunkSize of [1, 100, 512, 100_000]) {
    const bodies: Record<string, string> = {};
    for await (const entry of readTar(chunked(archive, chunkSize))) {
      // Pieces are views of the input, valid until the next read: copy each.
      const pieces: Uint8Array[] = [];
      if (entry.header.name === "c") {
        pieces.push(await collect(entry.body)); // the stream still works when asked for
      } else if (entry.header.name !== "b") {
        for (let piece = await entry.read(); piece !== null; piece = await entry.read()) {
          pieces.push(piece.slice());
        }
        assert.equal(await entry.read(), null, "stays at the end");
      } // "b" is left unread and skipped
      bodies[entry.header.name] = pieces.map((piece) => [...piece].join(",")).join(",");
    }
    assert.deepEqual(bodies, {
      a: [...first].join(","),
      b: "",
      empty: "",
      c: [...encoder.encode("sea")].join(","),
    }, `chunks of ${chunkSize}`);
  }
  const cut = archive.slice(0, 512 + 700);
  await assert.rejects(
    async () => {
      for await (const entry of readTar(chunked(cut, 100))) {
        while ((await entry.read()) !== null) {
          // reading to the truncation
        }
      }
    },
    (error: unknown) => error instanceof TarFormatError && /1300 bytes missing/.test(error.message),
  );
});

Deno.test("tar reader: malformed archives fail with TarFormatError", async () => {
  const good = buildArchive([{ entry: { name: "a", type: "file" }, data: encoder.encode("x") }]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["empty input", new Uint8Array(0), /no end-of-archive marker/],
    ["missing end marker", good.slice(0, 1024), /no end-of-archive marker/],
    ["truncated body", good.slice(0, 600), /truncated header|unexpected end of archive/],
    ["truncated header", good.slice(0, 100), /truncated header \(100 of 512 bytes\)/],
  ];
  const badSize = good.slice();
  badSize.set(encoder.encode("notanumber!"), 124);
  sealHeader(badSize.subarray(0, 512));
  cases.push(["invalid size", badSize, /invalid size field/]);
  const paxHeader = encodeTarHeader({ name: "p".repeat(200), type: "file", size: 0 });
  const badPax = concat([paxHeader, new Uint8Array(1024)]);
  badPax.set(encoder.encode("999 path=x\n"), 512);
  cases.push(["malformed PAX", badPax, /malformed PAX extended header/]);
  const badPaxSize = concat([
    encodeTarHeader({ name: "PaxHeaders/a", type: "file", size: 13 }).slice(0, 512),
    encoder.encode("13 size=12x4\n"),
  ]);
  badPaxSize[156] = "x".charCodeAt(0);
  sealHeader(badPaxSize.subarray(0, 512));
  cases.push([
    "invalid PAX size",
    concat([
      badPaxSize,
      new Uint8Array(512 - 13),
      encodeTarHeader({ name: "a", type: "file" }),
      new Uint8Array(1024),
    ]),
    /invalid PAX size "12x4"/,
  ]);
  cases.push([
    "truncated extended header",
    paxHeader.slice(0, 600),
    /unexpected end of archive in an extended header/,
  ]);
  for (const [label, archive, pattern] of cases) {
    await assert.rejects(
      (async () => {
        for await (const { body } of readTar(chunked(archive))) await collect(body);
      })(),
      (error: unknown) => error instanceof TarFormatError && pattern.test(error.message),
      label,
    );
  }
  const bigPax = encodeTarHeader({ name: "q".repeat(200), type: "file", size: 0 });
  await assert.rejects(
    (async () => {
      for await (
        const _ of readTar(chunked(concat([bigPax, new Uint8Array(1024)])), {
          maxExtendedHeaderSize: 10,
        })
      ) {
        // nothing
      }
    })(),
    (error: unknown) =>
      error instanceof TarFormatError && /exceeds the 10-byte limit/.test(error.message),
  );
});

/** An extended header member (`x` or `g`) holding `records`. */
function extendedHeader(type: "x" | "g", records: [string, string][]): Uint8Array {
  const data = encodePaxRecords(records);
  const header = encodeTarHeader({ name: "PaxHeaders/0", type: "file", size: data.length })
    .slice(0, 512);
  header[156] = type.charCodeAt(0);
  sealHeader(header);
  const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
  padded.set(data);
  return concat([header, padded]);
}

Deno.test("tar reader: a run of extended headers replaces, and global ones are bounded", async () => {
  // Go's reader: the last `x` header before a member is the one that applies.
  const replaced = concat([
    extendedHeader("x", [["path", "first"], ["comment", "c".repeat(100)]]),
    extendedHeader("x", [["mtime", "1500000000"]]),
    buildArchive([{ entry: { name: "a", type: "file" }, data: encoder.encode("x") }]),
  ]);
  const names: string[] = [];
  for await (const { header, body } of readTar(chunked(replaced))) {
    names.push(header.name);
    await collect(body);
  }
  assert.deepEqual(names, ["a"]);
  // Global headers add up, and their total is held to the extended-header limit.
  const globals = concat([
    extendedHeader("g", [["k1", "v".repeat(40)]]),
    extendedHeader("g", [["k2", "v".repeat(40)]]),
    extendedHeader("g", [["k3", "v".repeat(40)]]),
    buildArchive([{ entry: { name: "a", type: "file" }, data: encoder.encode("x") }]),
  ]);
  await assert.rejects(
    (async () => {
      for await (const { body } of readTar(chunked(globals), { maxExtendedHeaderSize: 100 })) {
        await collect(body);
      }
    })(),
    (error: unknown) =>
      error instanceof TarFormatError &&
      /global extended headers of 126 bytes exceed the 100-byte limit/.test(error.message),
  );
});

Deno.test("tar writer: the direct source writes the stream's bytes into lent buffers of any size, padding included", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/t/sub`, { recursive: true });
  await Deno.writeFile(`${dir.path}/t/sub/a`, new Uint8Array(1500).fill(1));
  await Deno.writeFile(`${dir.path}/t/b`, new Uint8Array(70_001).map((_, i) => i & 0xff));
  await Deno.writeFile(`${dir.path}/t/c`, new Uint8Array(0));
  const options = { archiveName: "root", chunkSize: 4096 };
  const expected = await collect(packLocalPath(`${dir.path}/t`, options));
  for (const lent of [1, 7, 512, 4096, 65_536, 1 << 20]) {
    const source = directSourceOf(packLocalPath(`${dir.path}/t`, options));
    assert.ok(source, "packLocalPath's stream carries a direct source");
    // Buffers full of 0xff: padding and the end-of-archive blocks must be written, not assumed.
    const buffer = new Uint8Array(lent);
    const parts: Uint8Array[] = [];
    while (true) {
      buffer.fill(0xff);
      const count = await source.read(buffer);
      if (count === null) break;
      parts.push(buffer.slice(0, count));
    }
    assert.deepEqual(concat(parts), expected, `lent buffers of ${lent} bytes`);
    assert.equal(await source.read(buffer), null, "stays at its end");
  }
});
