import assert from "node:assert/strict";
import {
  ExtractError,
  ExtractLimitError,
  LocalWriteError,
  TarFormatError,
} from "../../lib/cp/errors.ts";
import { extractTar } from "../../lib/cp/extract.ts";
import { encodeTarHeader } from "../../lib/cp/tar_writer.ts";
import { buildArchive, chunked, fileSha256, type Member, tempDir } from "./helpers.ts";

const file = (name: string, text = "data", extra: Partial<Member["entry"]> = {}): Member => ({
  entry: { name, type: "file", mtime: 1_600_000_000, ...extra },
  data: new TextEncoder().encode(text),
});
const dir = (name: string): Member => ({
  entry: { name, type: "directory", mtime: 1_600_000_000 },
});
const symlink = (name: string, target: string): Member => ({
  entry: { name, type: "symlink", linkname: target },
});
const hardlink = (name: string, target: string): Member => ({
  entry: { name, type: "hardlink", linkname: target },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function listing(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) names.push(entry.name);
  return names.sort();
}

/** A scratch area with `dest` (the extraction target) and `outside` (must stay empty). */
async function scene() {
  const root = await tempDir();
  await Deno.mkdir(`${root.path}/outside`);
  return {
    root,
    dest: `${root.path}/dest`,
    outside: `${root.path}/outside`,
    async [Symbol.asyncDispose]() {
      await root[Symbol.asyncDispose]();
    },
  };
}

Deno.test("extract: ../ traversal is skipped with kubectl's warning and nothing lands outside", async () => {
  await using s = await scene();
  const warnings: string[] = [];
  const result = await extractTar(
    chunked(
      buildArchive([
        dir("app"),
        file("app/ok.txt"),
        file("app/../../outside/evil"),
        file("app/sub/../../../outside/evil2"),
      ]),
    ),
    s.dest,
    { prefix: "app", onWarning: (message) => warnings.push(message) },
  );
  assert.deepEqual(await listing(s.outside), []);
  assert.deepEqual(await listing(s.dest), ["ok.txt"]);
  assert.equal(result.files, 1);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^file ".*outside\/evil" is outside target destination, skipping$/);
});

Deno.test("extract: absolute member names are skipped, never written where they point", async () => {
  await using s = await scene();
  const result = await extractTar(
    chunked(buildArchive([file("keep"), file(`${s.outside}/evil`)])),
    s.dest,
  );
  assert.deepEqual(await listing(s.outside), []);
  assert.deepEqual(await listing(s.dest), ["keep"]);
  // Named as the archive names it, not joined to the destination (which would read as inside).
  assert.equal(
    result.warnings[0],
    `file ${JSON.stringify(`${s.outside}/evil`)} is outside target destination, skipping`,
  );
});

Deno.test("extract: members outside the remote prefix fail with 'tar contents corrupted'", async () => {
  await using s = await scene();
  await assert.rejects(
    extractTar(chunked(buildArchive([dir("var/log"), file("etc/passwd")])), s.dest, {
      prefix: "var/log",
    }),
    (error: unknown) =>
      error instanceof ExtractError && /tar contents corrupted/.test(error.message),
  );
  assert.equal(await exists(`${s.dest}/passwd`), false);
});

Deno.test("extract: symlink to an outside directory then a file through it writes nothing outside", async () => {
  await using s = await scene();
  const result = await extractTar(
    chunked(buildArchive([symlink("link", s.outside), file("link/pwned")])),
    s.dest,
  );
  assert.deepEqual(await listing(s.outside), []);
  // The link was refused, so "link" became an ordinary directory inside the destination.
  assert.equal((await Deno.lstat(`${s.dest}/link`)).isDirectory, true);
  assert.equal(await Deno.readTextFile(`${s.dest}/link/pwned`), "data");
  assert.match(
    result.warnings[0],
    /skipping symlink: .*link" -> .* \(it points outside the destination\)/,
  );
});

Deno.test("extract: a file member below an accepted symlink is not written through it", async () => {
  await using s = await scene();
  const result = await extractTar(
    chunked(buildArchive([dir("real"), symlink("alias", "real"), file("alias/x")])),
    s.dest,
  );
  assert.equal(await Deno.readLink(`${s.dest}/alias`), "real");
  assert.deepEqual(await listing(`${s.dest}/real`), []);
  assert.match(result.warnings.at(-1)!, /alias\/x.* is a symlink, not followed/);
});

Deno.test("extract: a pre-existing symlink in the destination is replaced, not written through", async () => {
  await using s = await scene();
  await Deno.mkdir(s.dest);
  await Deno.writeTextFile(`${s.outside}/target`, "original");
  await Deno.symlink(`${s.outside}/target`, `${s.dest}/victim`);
  await Deno.symlink(s.outside, `${s.dest}/dirlink`);
  await extractTar(chunked(buildArchive([file("victim", "new"), file("dirlink/x")])), s.dest);
  assert.equal(await Deno.readTextFile(`${s.outside}/target`), "original");
  assert.deepEqual(await listing(s.outside), ["target"]);
  assert.equal((await Deno.lstat(`${s.dest}/victim`)).isFile, true);
  assert.equal(await Deno.readTextFile(`${s.dest}/victim`), "new");
});

Deno.test("extract: a dangling symlink or a read-only file in the way is replaced, not followed", async () => {
  // Files are created with O_CREAT | O_EXCL first; what is already there is only looked at when
  // that fails. A dangling link must not make the create land on its target.
  await using s = await scene();
  await Deno.mkdir(s.dest);
  await Deno.symlink(`${s.outside}/created-through-link`, `${s.dest}/dangling`);
  await Deno.writeTextFile(`${s.dest}/old`, "old contents, longer than the new");
  await Deno.chmod(`${s.dest}/old`, 0o444);
  await extractTar(chunked(buildArchive([file("dangling", "a"), file("old", "b")])), s.dest);
  assert.deepEqual(await listing(s.outside), []);
  assert.equal((await Deno.lstat(`${s.dest}/dangling`)).isFile, true);
  assert.equal(await Deno.readTextFile(`${s.dest}/dangling`), "a");
  assert.equal(await Deno.readTextFile(`${s.dest}/old`), "b");
});

Deno.test("extract: symlinks to /etc, climbing out, or chained through another link are skipped", async () => {
  await using s = await scene();
  const result = await extractTar(
    chunked(buildArchive([
      symlink("etc", "/etc"),
      dir("a"),
      symlink("a/up", "../../.."),
      symlink("a/parent", ".."),
      symlink("chain", "a/parent/.."),
      symlink("a/fine", "../b/c"),
    ])),
    s.dest,
  );
  assert.equal(await exists(`${s.dest}/etc`), false);
  assert.equal(await exists(`${s.dest}/a/up`), false);
  assert.equal(await exists(`${s.dest}/chain`), false);
  assert.equal(await Deno.readLink(`${s.dest}/a/parent`), "..");
  assert.equal(await Deno.readLink(`${s.dest}/a/fine`), "../b/c");
  assert.equal(result.symlinks, 2);
  assert.equal(result.warnings.length, 3);
});

Deno.test("extract: a symlink whose target passes through a foreign symlink is skipped", async () => {
  await using s = await scene();
  await Deno.mkdir(s.dest);
  await Deno.symlink(s.outside, `${s.dest}/foreign`);
  const result = await extractTar(
    chunked(buildArchive([symlink("sneaky", "foreign/secret")])),
    s.dest,
  );
  assert.equal(await exists(`${s.dest}/sneaky`), false);
  assert.match(result.warnings[0], /passes through a symlink/);
});

Deno.test("extract: hard links outside the destination are skipped, inside ones share the inode", async () => {
  await using s = await scene();
  await Deno.writeTextFile(`${s.outside}/secret`, "secret");
  const result = await extractTar(
    chunked(buildArchive([
      dir("app"),
      file("app/a", "shared"),
      hardlink("app/b", "app/a"),
      hardlink("app/c", "app/../outside/secret"),
      hardlink("app/d", `${s.outside}/secret`),
      hardlink("app/e", "etc/passwd"),
    ])),
    s.dest,
    { prefix: "app" },
  );
  assert.deepEqual(await listing(s.dest), ["a", "b"]);
  const [a, b] = [await Deno.lstat(`${s.dest}/a`), await Deno.lstat(`${s.dest}/b`)];
  assert.equal(a.ino, b.ino);
  assert.equal(result.warnings.length, 3);
  assert.equal(await Deno.readTextFile(`${s.outside}/secret`), "secret");
});

Deno.test("extract: hard links to directories or to members never extracted are skipped", async () => {
  await using s = await scene();
  const result = await extractTar(
    chunked(
      buildArchive([
        dir("d"),
        hardlink("to-dir", "d"),
        hardlink("to-missing", "nowhere/x"),
        hardlink("root", ""),
      ]),
    ),
    s.dest,
  );
  assert.deepEqual(await listing(s.dest), ["d"]);
  assert.match(result.warnings[0], /to-dir" -> "d" \(its target is not a regular file\)/);
  assert.match(result.warnings[1], /to-missing" -> "nowhere\/x" \(its target was not extracted\)/);
  assert.match(result.warnings[2], /root" -> "" \(its target is not a regular file\)/);
});

Deno.test("extract: a truncated header is a TarFormatError", async () => {
  await using s = await scene();
  const archive = buildArchive([file("a"), file("b")]);
  await assert.rejects(
    extractTar(chunked(archive.slice(0, 1024 + 300)), s.dest),
    (error: unknown) => error instanceof TarFormatError && /truncated header/.test(error.message),
  );
});

Deno.test("extract: a huge declared size streams and fails cleanly at the truncation", async () => {
  await using s = await scene();
  const header = encodeTarHeader({ name: "huge", type: "file", size: 2 ** 40 });
  const archive = new Uint8Array(header.length + 4096);
  archive.set(header);
  await assert.rejects(
    extractTar(chunked(archive), s.dest),
    (error: unknown) =>
      error instanceof TarFormatError &&
      /unexpected end of archive in the body of "huge"/.test(error.message),
  );
  assert.equal((await Deno.stat(`${s.dest}/huge`)).size, 4096);
});

Deno.test("extract: size and count limits stop before anything is written", async () => {
  await using s = await scene();
  const archive = buildArchive([file("a", "12345"), file("b", "1234567890")]);
  await assert.rejects(
    extractTar(chunked(archive), s.dest, { maxEntrySize: 8 }),
    (error: unknown) =>
      error instanceof ExtractLimitError && error.limit === "maxEntrySize" && error.actual === 10,
  );
  assert.equal(await exists(`${s.dest}/b`), false);
  await assert.rejects(
    extractTar(chunked(archive), `${s.dest}2`, { maxTotalSize: 12 }),
    (error: unknown) => error instanceof ExtractLimitError && error.limit === "maxTotalSize",
  );
  await assert.rejects(
    extractTar(chunked(archive), `${s.dest}3`, { maxEntries: 1 }),
    (error: unknown) => error instanceof ExtractLimitError && error.limit === "maxEntries",
  );
});

Deno.test("extract: a bad header checksum is a TarFormatError", async () => {
  await using s = await scene();
  const archive = buildArchive([file("a")]);
  archive[10] ^= 0x01;
  await assert.rejects(
    extractTar(chunked(archive), s.dest),
    (error: unknown) =>
      error instanceof TarFormatError && /checksum mismatch/.test(error.message) &&
      error.offset === 0,
  );
});

Deno.test("extract: file/directory type confusion fails instead of guessing", async () => {
  await using s = await scene();
  await assert.rejects(
    extractTar(chunked(buildArchive([file("x"), file("x/y")])), s.dest),
    (error: unknown) =>
      error instanceof ExtractError &&
      /is a file where the archive needs a directory/.test(error.message),
  );
  await assert.rejects(
    extractTar(chunked(buildArchive([dir("d"), file("d/inner"), file("d")])), `${s.dest}2`),
    (error: unknown) =>
      error instanceof ExtractError &&
      /is a directory where the archive has a non-directory/.test(error.message),
  );
  assert.equal(await Deno.readTextFile(`${s.dest}2/d/inner`), "data");
  await assert.rejects(
    extractTar(chunked(buildArchive([file("f"), dir("f")])), `${s.dest}3`),
    (error: unknown) =>
      error instanceof ExtractError &&
      /is a file where the archive has a directory/.test(error.message),
  );
});

Deno.test("extract: a destination that is a file cannot receive a directory", async () => {
  await using s = await scene();
  await Deno.writeTextFile(s.dest, "file");
  await assert.rejects(
    extractTar(chunked(buildArchive([dir("app"), file("app/a")])), s.dest, { prefix: "app" }),
    (error: unknown) => error instanceof ExtractError && /not a directory/.test(error.message),
  );
});

Deno.test("extract: modes and mtimes are applied (setuid dropped), or not with preserve false", async () => {
  await using s = await scene();
  const archive = buildArchive([
    { entry: { name: "app", type: "directory", mode: 0o750, mtime: 1_500_000_000 } },
    {
      entry: { name: "app/run.sh", type: "file", mode: 0o4755, mtime: 1_400_000_000.5 },
      data: new Uint8Array(3),
    },
    { entry: { name: "app/ro", type: "directory", mode: 0o555, mtime: 1_300_000_000 } },
    {
      entry: { name: "app/ro/f", type: "file", mode: 0o400, mtime: 1_300_000_000 },
      data: new Uint8Array(1),
    },
  ]);
  await extractTar(chunked(archive), s.dest, { prefix: "app" });
  const script = await Deno.stat(`${s.dest}/run.sh`);
  assert.equal(script.mode! & 0o7777, 0o755);
  assert.equal(script.mtime!.getTime(), 1_400_000_000_000);
  assert.equal((await Deno.stat(s.dest)).mode! & 0o777, 0o750);
  assert.equal((await Deno.stat(s.dest)).mtime!.getTime(), 1_500_000_000_000);
  assert.equal((await Deno.stat(`${s.dest}/ro`)).mode! & 0o777, 0o555);
  assert.equal((await Deno.stat(`${s.dest}/ro/f`)).mode! & 0o777, 0o400);

  await extractTar(chunked(archive), `${s.dest}-plain`, { prefix: "app", preserve: false });
  const plain = await Deno.stat(`${s.dest}-plain/run.sh`);
  assert.notEqual(plain.mtime!.getTime(), 1_400_000_000_000);
  assert.equal(plain.mode! & 0o7000, 0);
});

Deno.test("extract: merging into an existing directory keeps that directory's mode", async () => {
  await using s = await scene();
  await Deno.mkdir(s.dest);
  await Deno.chmod(s.dest, 0o755);
  const archive = buildArchive([
    { entry: { name: "app", type: "directory", mode: 0o700, mtime: 1_500_000_000 } },
    file("app/a"),
  ]);
  await extractTar(chunked(archive), s.dest, { prefix: "app" });
  assert.equal((await Deno.stat(s.dest)).mode! & 0o777, 0o755);
  assert.equal(await Deno.readTextFile(`${s.dest}/a`), "data");
});

Deno.test("extract: an archive's modes lose the umask's bits; directories that existed keep theirs", async () => {
  await using s = await scene();
  // A pod offering world-writable modes, and a directory the user already has, kept private.
  await Deno.mkdir(`${s.dest}/private`, { recursive: true });
  await Deno.chmod(`${s.dest}/private`, 0o700);
  await Deno.utime(`${s.dest}/private`, 1_000_000_000, 1_000_000_000);
  const archive = buildArchive([
    { entry: { name: "app", type: "directory", mode: 0o777, mtime: 1_500_000_000 } },
    { entry: { name: "app/private", type: "directory", mode: 0o7777, mtime: 1_500_000_000 } },
    { entry: { name: "app/new", type: "directory", mode: 0o777, mtime: 1_500_000_000 } },
    {
      entry: { name: "app/new/f", type: "file", mode: 0o6777, mtime: 1_500_000_000 },
      data: new Uint8Array(2),
    },
  ]);
  const previous = Deno.umask(0o027);
  try {
    await extractTar(chunked(archive), s.dest, { prefix: "app" });
  } finally {
    Deno.umask(previous);
  }
  const mode = async (path: string) => (await Deno.stat(`${s.dest}${path}`)).mode! & 0o7777;
  assert.equal(await mode("/private"), 0o700);
  assert.equal((await Deno.stat(`${s.dest}/private`)).mtime!.getTime(), 1_000_000_000_000);
  assert.equal(await mode("/new"), 0o750);
  assert.equal(await mode("/new/f"), 0o750);
  // The destination existed too: untouched.
  assert.notEqual(await mode(""), 0o750);
  // Nothing left of the probe that learnt the umask.
  assert.deepEqual([...Deno.readDirSync(s.dest)].map((entry) => entry.name).sort(), [
    "new",
    "private",
  ]);
});

Deno.test("extract: a single file goes to the named path, or into an existing directory", async () => {
  await using s = await scene();
  const archive = buildArchive([file("var/log/app.log", "log line")]);
  const named = await extractTar(chunked(archive), `${s.dest}.log`, {
    prefix: "var/log/app.log",
    hashRootFile: true,
  });
  assert.equal(await Deno.readTextFile(`${s.dest}.log`), "log line");
  assert.equal(named.rootFile?.sha256, await fileSha256(`${s.dest}.log`));
  await Deno.mkdir(s.dest);
  const into = await extractTar(chunked(archive), s.dest, {
    prefix: "var/log/app.log",
    fileIntoExistingDirectory: true,
  });
  assert.equal(into.rootFile?.path, `${await Deno.realPath(s.dest)}/app.log`);
  assert.equal(await Deno.readTextFile(`${s.dest}/app.log`), "log line");
});

Deno.test("extract: a destination with a trailing slash names the same path", async () => {
  await using s = await scene();
  const archive = buildArchive([file("app.log", "log")]);
  const result = await extractTar(chunked(archive), `${s.dest}/new/`, { prefix: "app.log" });
  assert.equal(result.rootFile?.path, `${s.dest}/new`);
  assert.equal(await Deno.readTextFile(`${s.dest}/new`), "log");
});

Deno.test("extract: unsupported member types are skipped with a warning", async () => {
  await using s = await scene();
  const archive = buildArchive([file("a")]);
  const fifo = buildArchive([{ entry: { name: "pipe", type: "file" } }], { end: false });
  fifo[156] = "6".charCodeAt(0);
  // Recompute the checksum after changing the type flag.
  const { sealHeader } = await import("../../lib/cp/tar_format.ts");
  sealHeader(fifo.subarray(0, 512));
  const combined = new Uint8Array(fifo.length + archive.length);
  combined.set(fifo);
  combined.set(archive, fifo.length);
  const result = await extractTar(chunked(combined), s.dest);
  assert.deepEqual(await listing(s.dest), ["a"]);
  assert.match(result.warnings[0], /unsupported member type "6"/);
});

Deno.test("extract: the file the user named is truncated in place, through the user's symlink", async () => {
  // kubectl (os.Create) and cp(1) write the named destination as it is: same inode, so a hard
  // link to it sees the new contents, and a symlink the user made still points where it did.
  await using s = await scene();
  const archive = buildArchive([file("app.conf", "new")]);
  await Deno.writeTextFile(`${s.outside}/real`, "old contents, longer than the new");
  await Deno.link(`${s.outside}/real`, `${s.outside}/hardlink`);
  const inode = (await Deno.stat(`${s.outside}/real`)).ino;
  await Deno.symlink(`${s.outside}/real`, s.dest);
  const result = await extractTar(chunked(archive), s.dest, { prefix: "app.conf" });
  assert.equal((await Deno.lstat(s.dest)).isSymlink, true);
  assert.equal(await Deno.readTextFile(`${s.outside}/real`), "new");
  assert.equal((await Deno.stat(`${s.outside}/real`)).ino, inode);
  assert.equal(await Deno.readTextFile(`${s.outside}/hardlink`), "new");
  assert.equal(result.rootFile?.size, 3);
  // The mtime is the archive's, applied through the link to the file.
  assert.equal((await Deno.stat(`${s.outside}/real`)).mtime?.getTime(), 1_600_000_000_000);
});

Deno.test("extract: a dangling symlink named as the destination is replaced, not followed", async () => {
  await using s = await scene();
  await Deno.symlink(`${s.outside}/created-through-link`, s.dest);
  await extractTar(chunked(buildArchive([file("app.conf", "new")])), s.dest, {
    prefix: "app.conf",
  });
  assert.deepEqual(await listing(s.outside), []);
  assert.equal((await Deno.lstat(s.dest)).isFile, true);
  assert.equal(await Deno.readTextFile(s.dest), "new");
});

Deno.test({
  name: "extract: a FIFO named as the destination is written to, not replaced, modes untouched",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    // The stand-in for /dev/null and /dev/stdout: unlinking what is there would, for root,
    // replace a device with a regular file.
    await using s = await scene();
    const made = await new Deno.Command("mkfifo", { args: ["-m", "0640", s.dest] }).output();
    assert.ok(made.success, "mkfifo");
    const reader = Deno.open(s.dest, { read: true }).then(async (fifo) => {
      return await new Response(fifo.readable).text();
    });
    // A second name for the FIFO, to release the reader should the extraction unlink the first.
    await Deno.link(s.dest, `${s.outside}/same-fifo`);
    const archive = buildArchive([file("app.conf", "through the pipe", { mode: 0o755 })]);
    const result = await extractTar(chunked(archive), s.dest, { prefix: "app.conf" });
    const info = await Deno.lstat(s.dest);
    if (!info.isFifo) {
      (await Deno.open(`${s.outside}/same-fifo`, { write: true })).close();
      await reader;
      assert.fail("the FIFO was replaced by a regular file");
    }
    assert.equal(await reader, "through the pipe");
    assert.equal(info.mode! & 0o777, 0o640);
    assert.equal(result.rootFile?.size, 16);
  },
});

Deno.test({
  name: "extract: a character device named as the destination (a /dev/null of its own) stays one",
  // mknod needs root; the node lives in a scratch directory, never /dev itself.
  ignore: Deno.build.os === "windows" || Deno.uid() !== 0,
  fn: async () => {
    await using s = await scene();
    const made = await new Deno.Command("mknod", { args: ["-m", "0666", s.dest, "c", "1", "3"] })
      .output();
    assert.ok(made.success, "mknod of the null device");
    const result = await extractTar(
      chunked(buildArchive([file("app.conf", "discarded", { mode: 0o600 })])),
      s.dest,
      { prefix: "app.conf" },
    );
    const info = await Deno.lstat(s.dest);
    assert.equal(info.isCharDevice, true, "not replaced by a regular file");
    assert.equal(info.mode! & 0o777, 0o666, "mode not applied to a device");
    assert.equal(result.rootFile?.size, 9);
  },
});

Deno.test("extract: a directory named as a single file's destination fails, untouched", async () => {
  await using s = await scene();
  await Deno.mkdir(s.dest);
  await assert.rejects(
    extractTar(chunked(buildArchive([file("app.conf", "new")])), s.dest, { prefix: "app.conf" }),
    (error: unknown) => error instanceof ExtractError && /is a directory/.test(error.message),
  );
  assert.deepEqual(await listing(s.dest), []);
});

Deno.test("extract: progress carries a total for a single file only, never a member's size", async () => {
  await using s = await scene();
  const seen: { bytes: number; total?: number }[] = [];
  await extractTar(
    chunked(buildArchive([
      dir("tree"),
      file("tree/a", "x".repeat(3000)),
      file("tree/b", "y".repeat(5000)),
    ])),
    `${s.dest}/tree-copy`,
    { prefix: "tree", onProgress: (p) => seen.push({ bytes: p.bytes, total: p.total }) },
  );
  assert.ok(seen.length > 0);
  assert.ok(seen.every((p) => p.total === undefined), JSON.stringify(seen));
  assert.equal(seen.at(-1)!.bytes, 8000);
  const single: { bytes: number; total?: number }[] = [];
  await extractTar(chunked(buildArchive([file("one", "z".repeat(4000))])), `${s.dest}/one`, {
    prefix: "one",
    onProgress: (p) => single.push({ bytes: p.bytes, total: p.total }),
  });
  assert.deepEqual(single.at(-1), { bytes: 4000, total: 4000 });
});

Deno.test("extract: a local write that fails names the file, in kubectl's words", async () => {
  await using s = await scene();
  const full = {
    write: () => Promise.reject(new Error("No space left on device (os error 28)")),
  };
  await assert.rejects(
    extractTar(chunked(buildArchive([file("one", "z".repeat(100))])), `${s.dest}/one`, {
      prefix: "one",
      output: full,
    }),
    (error: unknown) =>
      error instanceof LocalWriteError &&
      error.message === `write ${s.dest}/one: no space left on device`,
  );
});
