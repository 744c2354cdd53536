import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { download, upload } from "../../lib/cp/copy.ts";
import {
  ExtractError,
  FileSpecError,
  RemoteCommandError,
  RemoteToolMissingError,
  SourceChangedError,
  TarWriteError,
  VerificationError,
} from "../../lib/cp/errors.ts";
import { type RemoteExec, RemoteExecError } from "../../lib/cp/remote_exec.ts";
import { packLocalPath } from "../../lib/cp/pack.ts";
import {
  buildArchive,
  collect,
  concat,
  describeTree,
  fileSha256,
  run,
  tempDir,
  writeRandomFile,
} from "./helpers.ts";
import { DEFAULT_TOOLS, localExec } from "./local_exec.ts";

const LONG_NAME = `${"long-name-".repeat(12)}end.txt`;

/** A tree with the awkward cases: many files, spaces, unicode, >100-byte names, empty dirs, links, modes. */
async function awkwardTree(root: string, smallFiles: number): Promise<void> {
  await Deno.mkdir(`${root}/many`, { recursive: true });
  for (let i = 0; i < smallFiles; i++) {
    const group = `${root}/many/g${i % 10}`;
    if (i < 10) await Deno.mkdir(group);
    await Deno.writeTextFile(`${group}/file ${i}.txt`, `content of file ${i}\n`.repeat(i % 7));
  }
  await Deno.mkdir(`${root}/empty dir`);
  await Deno.mkdir(`${root}/ünï cødé/${"d".repeat(90)}`, { recursive: true });
  await Deno.writeTextFile(`${root}/ünï cødé/${"d".repeat(90)}/${LONG_NAME}`, "deep");
  await Deno.writeTextFile(`${root}/script.sh`, "#!/bin/sh\necho hi\n");
  await Deno.chmod(`${root}/script.sh`, 0o750);
  await Deno.writeTextFile(`${root}/private`, "secret");
  await Deno.chmod(`${root}/private`, 0o600);
  await Deno.symlink("script.sh", `${root}/link-to-script`);
  await Deno.symlink("../many/g1", `${root}/empty dir/link-to-dir`);
  await Deno.utime(`${root}/script.sh`, 1_600_000_000, 1_600_000_000);
  await Deno.utime(`${root}/private`, 1_500_000_000, 1_500_000_000);
}

async function treeSha256(root: string): Promise<string> {
  const result = await run("sh", ["-c", "find . -type f -print0 | sort -z | xargs -0 sha256sum"], {
    cwd: root,
  });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test("cp: a 1,000-file tree with awkward names round-trips with modes, mtimes and symlinks", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  const source = `${work.path}/src`;
  await awkwardTree(source, 1000);
  await Deno.chmod(`${source}/many/g3`, 0o700);
  await Deno.utime(`${source}/many/g3`, 1_400_000_000, 1_400_000_000);
  await Deno.mkdir(`${work.path}/remote`);

  const warnings: string[] = [];
  const up = await upload(sandbox.exec, source, `${work.path}/remote`, {
    warn: (m) => warnings.push(m),
  });
  assert.equal(up.target, `${work.path}/remote/src`);
  assert.equal(up.files, 1003);
  assert.deepEqual(sandbox.commands, [
    ["test", "-d", `${work.path}/remote`],
    ["test", "-e", `${work.path}/remote/src`],
    ["tar", "-xf", "-", "-C", `${work.path}/remote`],
  ]);
  // A new tree: directories keep their modes and mtimes too.
  const expected = await describeTree(source, { modes: true, mtimes: true });
  assert.deepEqual(await describeTree(up.target, { modes: true, mtimes: true }), expected);

  const down = await download(sandbox.exec, up.target, `${work.path}/back`, {
    warn: (m) => warnings.push(m),
  });
  assert.equal(down.files, 1003);
  assert.equal(down.bytes, up.bytes);
  assert.deepEqual(
    await describeTree(`${work.path}/back`, { modes: true, mtimes: true }),
    expected,
  );
  assert.equal(await treeSha256(`${work.path}/back`), await treeSha256(source));
  assert.equal(down.verified, undefined);
  // GNU tar's notice about the leading "/" arrives as a remote warning and does not fail the copy.
  assert.ok(warnings.some((w) => /Removing leading/.test(w)));
});

Deno.test("cp: a tree merged into an existing one leaves existing directories' modes and mtimes alone", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  const source = `${work.path}/tmp`;
  await Deno.mkdir(`${source}/cache/empty`, { recursive: true });
  await Deno.writeTextFile(`${source}/cache/new.txt`, "new");
  await Deno.chmod(`${source}/cache`, 0o755);
  // The pod's /tmp, and a subdirectory of it the tree shares.
  const remote = `${work.path}/remote/tmp`;
  await Deno.mkdir(`${remote}/cache`, { recursive: true });
  await Deno.writeTextFile(`${remote}/cache/old.txt`, "old");
  await Deno.chmod(remote, 0o1777);
  await Deno.chmod(`${remote}/cache`, 0o700);
  await Deno.utime(remote, 1_300_000_000, 1_300_000_000);
  await Deno.utime(`${remote}/cache`, 1_300_000_000, 1_300_000_000);

  // `cp ./tmp POD:/` — the target exists, so this merges (as `cp . POD:/tmp` does).
  const up = await upload(sandbox.exec, source, `${work.path}/remote`);
  assert.equal(up.target, remote);
  assert.deepEqual(sandbox.commands.slice(0, 2), [
    ["test", "-d", `${work.path}/remote`],
    ["test", "-e", remote],
  ]);
  assert.equal((await Deno.stat(remote)).mode! & 0o7777, 0o1777);
  assert.equal((await Deno.stat(`${remote}/cache`)).mode! & 0o7777, 0o700);
  // Nothing was added to the root itself, so its mtime is the pod's (the cache's changed with
  // its new entries, as the kernel keeps it).
  assert.equal((await Deno.stat(remote)).mtime!.getTime(), 1_300_000_000_000);
  assert.equal(await Deno.readTextFile(`${remote}/cache/old.txt`), "old");
  assert.equal(await Deno.readTextFile(`${remote}/cache/new.txt`), "new");
  assert.ok((await Deno.stat(`${remote}/cache/empty`)).isDirectory);
});

Deno.test("cp: a directory uploaded onto an existing file fails and leaves the file, like kubectl", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await Deno.mkdir(`${work.path}/d`);
  await Deno.writeTextFile(`${work.path}/d/f`, "hi");
  await Deno.mkdir(`${work.path}/remote`);
  await Deno.writeTextFile(`${work.path}/remote/file`, "keep me");
  const remote: string[] = [];
  await assert.rejects(
    upload(sandbox.exec, `${work.path}/d`, `${work.path}/remote/file`, {
      warn: (message, source) => source === "remote" && remote.push(message),
    }),
    (error: unknown) => error instanceof RemoteCommandError && error.exitCode === 2,
  );
  assert.equal(await Deno.readTextFile(`${work.path}/remote/file`), "keep me");
  assert.ok(remote.some((line) => /Not a directory/.test(line)), remote.join("\n"));
});

Deno.test("cp: when the existence probe cannot run, a tree is sent as a merge", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ tools: DEFAULT_TOOLS.filter((tool) => tool !== "test") });
  await Deno.mkdir(`${work.path}/src/sub`, { recursive: true });
  await Deno.writeTextFile(`${work.path}/src/sub/a.txt`, "a");
  await Deno.mkdir(`${work.path}/remote/src/sub`, { recursive: true });
  await Deno.chmod(`${work.path}/remote/src/sub`, 0o711);
  // Without `test`, kubectl's directory probe fails too: the target is the path itself.
  const up = await upload(sandbox.exec, `${work.path}/src`, `${work.path}/remote/src`);
  assert.equal(up.target, `${work.path}/remote/src`);
  assert.equal((await Deno.stat(`${work.path}/remote/src/sub`)).mode! & 0o7777, 0o711);
  assert.equal(await Deno.readTextFile(`${work.path}/remote/src/sub/a.txt`), "a");
});

Deno.test("cp: a remote path through '..' downloads what tar archived", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await Deno.mkdir(`${work.path}/rem/d`, { recursive: true });
  await Deno.writeTextFile(`${work.path}/rem/d/f`, "through dot-dot");
  const remote: string[] = [];
  const result = await download(sandbox.exec, `${work.path}/rem/d/../d/f`, `${work.path}/got`, {
    warn: (message, source) => source === "remote" && remote.push(message),
  });
  assert.equal(await Deno.readTextFile(`${work.path}/got`), "through dot-dot");
  assert.equal(result.bytes, 15);
  assert.ok(remote.some((line) => /Removing leading .*\.\.\//.test(line)), remote.join("\n"));
});

Deno.test("cp: a 64 MiB file both ways, sha256-verified on both sides, with progress", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await writeRandomFile(`${work.path}/big.bin`, 64 * 1024 * 1024, 7);
  await Deno.mkdir(`${work.path}/remote`);
  const progress: number[] = [];
  const up = await upload(sandbox.exec, `${work.path}/big.bin`, `${work.path}/remote/renamed.bin`, {
    onProgress: (p) => {
      assert.equal(p.total, 64 * 1024 * 1024);
      progress.push(p.bytes);
    },
  });
  assert.equal(up.verified, "sha256");
  assert.equal(up.target, `${work.path}/remote/renamed.bin`);
  assert.equal(progress.at(-1), 64 * 1024 * 1024);
  assert.ok(progress.every((bytes, i) => i === 0 || bytes > progress[i - 1]));
  assert.deepEqual(sandbox.commands.at(-1), ["sha256sum", `${work.path}/remote/renamed.bin`]);

  await Deno.mkdir(`${work.path}/down`);
  const down = await download(sandbox.exec, `${work.path}/remote/renamed.bin`, `${work.path}/down`);
  assert.equal(down.target, `${work.path}/down/renamed.bin`);
  assert.equal(down.verified, "sha256");
  assert.equal(down.bytes, 64 * 1024 * 1024);
  assert.equal(await fileSha256(down.target), await fileSha256(`${work.path}/big.bin`));
});

Deno.test("cp: --no-preserve sends kubectl's exact tar flags and keeps no mtimes", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await Deno.writeTextFile(`${work.path}/a.txt`, "a");
  await Deno.utime(`${work.path}/a.txt`, 1_000_000_000, 1_000_000_000);
  const up = await upload(sandbox.exec, `${work.path}/a.txt`, `${work.path}/b.txt`, {
    noPreserve: true,
  });
  assert.deepEqual(sandbox.commands[1], [
    "tar",
    "--no-same-permissions",
    "--no-same-owner",
    "-xmf",
    "-",
    "-C",
    work.path,
  ]);
  assert.notEqual((await Deno.stat(up.target)).mtime!.getTime(), 1_000_000_000_000);
  const down = await download(sandbox.exec, `${work.path}/a.txt`, `${work.path}/c.txt`, {
    noPreserve: true,
  });
  assert.notEqual((await Deno.stat(down.target)).mtime!.getTime(), 1_000_000_000_000);
});

Deno.test("cp: a download cut twice resumes with tail -c+OFFSET and yields identical bytes", async (t) => {
  // The session hands stdout over as views of its read buffer (a direct sink); other RemoteExecs
  // write fresh chunks through the stream. Both must give the same bytes and resume offsets.
  for (const directStdout of [true, false]) {
    const name = directStdout ? "views of one reused buffer" : "fresh chunks through the stream";
    await t.step(name, async () => {
      await using work = await tempDir();
      await using sandbox = await localExec({
        cutStdoutAfter: [1_000_003, 2_500_001],
        directStdout,
      });
      await Deno.mkdir(`${work.path}/remote/dir`, { recursive: true });
      await writeRandomFile(`${work.path}/remote/dir/one.bin`, 1_500_000, 3);
      await writeRandomFile(`${work.path}/remote/dir/two.bin`, 2_000_000, 4);
      const retries: Array<{ attempt: number; offset: number }> = [];
      const result = await download(sandbox.exec, `${work.path}/remote/dir`, `${work.path}/local`, {
        retries: 3,
        onRetry: ({ attempt, offset }) => retries.push({ attempt, offset }),
      });
      assert.deepEqual(retries, [{ attempt: 1, offset: 1_000_003 }, {
        attempt: 2,
        offset: 1_000_003 + 2_500_001,
      }]);
      assert.equal(result.retries, 2);
      assert.deepEqual(sandbox.commands[1].slice(0, 2), ["sh", "-c"]);
      assert.deepEqual(sandbox.commands[1].slice(3), [
        "sh",
        `${work.path}/remote/dir`,
        "1000004",
        "cf",
      ]);
      assert.equal(
        await treeSha256(`${work.path}/local`),
        await treeSha256(`${work.path}/remote/dir`),
      );
    });
  }
});

Deno.test("cp: service-account style symlinks: a symlinked source is copied through, inner links kept", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  const sa = `${work.path}/serviceaccount`;
  await Deno.mkdir(`${sa}/..2026_11_26`, { recursive: true });
  await Deno.writeTextFile(`${sa}/..2026_11_26/token`, "eyJ-token");
  await Deno.symlink("..2026_11_26", `${sa}/..data`);
  await Deno.symlink("..data/token", `${sa}/token`);
  await Deno.symlink("serviceaccount", `${work.path}/sa-link`);
  const warnings: string[] = [];
  const token = await download(sandbox.exec, `${sa}/token`, `${work.path}/token`, {
    warn: (m, source) => source === "local" && warnings.push(m),
  });
  assert.equal(await Deno.readTextFile(`${work.path}/token`), "eyJ-token");
  assert.equal(token.verified, "sha256");
  assert.match(warnings[0], /token is a symlink to "\.\.data\/token"; copying its target/);
  assert.deepEqual(sandbox.commands.filter((c) => c[0] === "tar").at(-1), [
    "tar",
    "chf",
    "-",
    `${sa}/token`,
  ]);

  const tree = await download(sandbox.exec, sa, `${work.path}/copy`);
  assert.equal(tree.files, 1);
  assert.equal(await Deno.readLink(`${work.path}/copy/token`), "..data/token");
  assert.equal(await Deno.readTextFile(`${work.path}/copy/token`), "eyJ-token");

  const throughLink = await download(sandbox.exec, `${work.path}/sa-link`, `${work.path}/via-link`);
  assert.equal(throughLink.files, 1);
  assert.deepEqual(sandbox.commands.filter((c) => c[0] === "tar").at(-1), [
    "tar",
    "cf",
    "-",
    `${work.path}/sa-link/.`,
  ]);
  assert.equal(await Deno.readTextFile(`${work.path}/via-link/token`), "eyJ-token");
});

Deno.test("cp: a cut download without retries fails with the connection error", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ cutStdoutAfter: [5000] });
  await writeRandomFile(`${work.path}/f.bin`, 100_000);
  await assert.rejects(
    download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/out.bin`),
    (error: unknown) => error instanceof RemoteExecError && error.connectionLost,
  );
  await using twiceCut = await localExec({ cutStdoutAfter: [5000, 5000] });
  await assert.rejects(
    download(twiceCut.exec, `${work.path}/f.bin`, `${work.path}/out2.bin`, { retries: 1 }),
    (error: unknown) => error instanceof RemoteExecError && error.connectionLost,
  );
  assert.equal(twiceCut.commands.filter((c) => c[0] === "tar" || c[0] === "sh").length, 2);
});

Deno.test("cp: resumed attempts keep tar's exit status, not tail's", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ cutStdoutAfter: [600] });
  await writeRandomFile(`${work.path}/f.bin`, 10_000);
  const download1 = download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/out.bin`, {
    retries: 1,
    onRetry: () => Deno.removeSync(`${work.path}/f.bin`),
  });
  await assert.rejects(
    download1,
    (error: unknown) => error instanceof RemoteCommandError && error.exitCode === 2,
  );
});

/**
 * Runs `change` between a resumed download's attempts, in order whatever the machine's speed: the
 * first attempt's sha256sum ends, then the file changes, then the resumed tar runs.
 */
function changeBetweenAttempts(
  inner: RemoteExec,
  change: () => void,
): { exec: RemoteExec; onRetry: () => void } {
  let digestTaken!: () => void;
  const firstDigest = new Promise<void>((resolve) => digestTaken = resolve);
  let changed!: () => void;
  const fileChanged = new Promise<void>((resolve) => changed = resolve);
  let streams = 0;
  const exec: RemoteExec = async (command, io) => {
    if (command[0] !== "sha256sum" && streams++ > 0) await fileChanged;
    const result = await inner(command, io);
    if (command[0] === "sha256sum") digestTaken();
    return result;
  };
  const onRetry = () =>
    void firstDigest.then(() => {
      change();
      changed();
    });
  return { exec, onRetry };
}

Deno.test("cp: a file that changes between resumed attempts is named as changed", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ cutStdoutAfter: [4096] });
  await writeRandomFile(`${work.path}/f.bin`, 20_000, 1);
  // Same size, different bytes after the resume offset.
  const { exec, onRetry } = changeBetweenAttempts(sandbox.exec, () => {
    const bytes = Deno.readFileSync(`${work.path}/f.bin`);
    bytes.fill(7, 15_000);
    Deno.writeFileSync(`${work.path}/f.bin`, bytes);
  });
  await assert.rejects(
    download(exec, `${work.path}/f.bin`, `${work.path}/out.bin`, { retries: 1, onRetry }),
    (error: unknown) =>
      error instanceof SourceChangedError && /changed in the container during the copy/.test(
        error.message,
      ),
  );
  // Unchanged between attempts: resumed and verified as before.
  await writeRandomFile(`${work.path}/g.bin`, 20_000, 2);
  await using again = await localExec({ cutStdoutAfter: [4096] });
  const resumed = await download(again.exec, `${work.path}/g.bin`, `${work.path}/g-out.bin`, {
    retries: 1,
  });
  assert.equal(resumed.retries, 1);
  assert.equal(resumed.verified, "sha256");
});

Deno.test("cp: a file that grows or shrinks between resumed attempts is named as changed", async () => {
  await using work = await tempDir();
  for (const [name, resize] of [["grows", 25_000], ["shrinks", 12_000]] as const) {
    await using sandbox = await localExec({ cutStdoutAfter: [4096] });
    const source = `${work.path}/${name}.bin`;
    await writeRandomFile(source, 20_000, 3);
    const { exec, onRetry } = changeBetweenAttempts(sandbox.exec, () => {
      const bytes = Deno.readFileSync(source);
      const next = new Uint8Array(resize);
      next.set(bytes.subarray(0, Math.min(resize, bytes.length)));
      next.fill(9, bytes.length);
      Deno.writeFileSync(source, next);
    });
    await assert.rejects(
      download(exec, source, `${work.path}/${name}-out.bin`, { retries: 1, onRetry }),
      (error: unknown) =>
        error instanceof SourceChangedError &&
        /changed in the container during the copy/.test(error.message),
      name,
    );
  }
});

Deno.test("cp: a digest that lost its connection with the copy is taken again, not a failure", async () => {
  await using work = await tempDir();
  await writeRandomFile(`${work.path}/f.bin`, 20_000, 4);
  for (const resumed of [true, false]) {
    await using sandbox = await localExec({ cutStdoutAfter: resumed ? [4096] : [] });
    // The first sha256sum breaks as the cut would break it; the later ones work.
    let digests = 0;
    const exec: RemoteExec = (command, io) => {
      if (command[0] === "sha256sum" && digests++ === 0) {
        return Promise.reject(new RemoteExecError("cut", { connectionLost: true }));
      }
      return sandbox.exec(command, io);
    };
    const result = await download(exec, `${work.path}/f.bin`, `${work.path}/out-${resumed}.bin`, {
      retries: resumed ? 1 : 0,
    });
    assert.equal(result.retries, resumed ? 1 : 0);
    assert.equal(result.verified, "sha256");
    assert.equal(digests, 2);
  }
});

Deno.test("cp: a failing remote tar reports its exit code and stderr, like kubectl", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  const remote: string[] = [];
  await assert.rejects(
    download(sandbox.exec, `${work.path}/missing`, `${work.path}/out`, {
      warn: (message, source) => source === "remote" && remote.push(message),
    }),
    (error: unknown) =>
      error instanceof RemoteCommandError && error.exitCode === 2 &&
      error.message === "command terminated with exit code 2",
  );
  assert.ok(remote.some((line) => /Cannot stat: No such file or directory/.test(line)));
});

Deno.test("cp: without tar in the container single files fall back to cat both ways", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ tools: DEFAULT_TOOLS.filter((tool) => tool !== "tar") });
  await writeRandomFile(`${work.path}/f.bin`, 300_000, 9);
  const warnings: string[] = [];
  const up = await upload(sandbox.exec, `${work.path}/f.bin`, `${work.path}/up.bin`, {
    warn: (m) => warnings.push(m),
  });
  assert.equal(up.fallback, "cat");
  assert.equal(up.verified, "sha256");
  assert.equal(await fileSha256(`${work.path}/up.bin`), await fileSha256(`${work.path}/f.bin`));
  assert.ok(warnings.includes("tar not found in the container; copying the single file with cat"));

  const down = await download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/down.bin`);
  assert.equal(down.fallback, "cat");
  assert.equal(down.verified, "sha256");
  assert.equal(await fileSha256(`${work.path}/down.bin`), await fileSha256(`${work.path}/f.bin`));
  assert.deepEqual(sandbox.commands.filter((c) => c[0] === "cat"), [["cat", `${work.path}/f.bin`]]);

  await Deno.mkdir(`${work.path}/dir`);
  await assert.rejects(
    upload(sandbox.exec, `${work.path}/dir`, `${work.path}/dir-up`),
    (error: unknown) =>
      error instanceof RemoteToolMissingError && error.tool === "tar" &&
      /directory needs tar/.test(error.hint),
  );
  await assert.rejects(
    download(sandbox.exec, `${work.path}/dir`, `${work.path}/dir-down`),
    (error: unknown) =>
      error instanceof RemoteToolMissingError && /directory needs tar/.test(error.hint),
  );
});

Deno.test("cp: the cat fallback writes a named destination as kubectl does, untouched when cat fails", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ tools: DEFAULT_TOOLS.filter((tool) => tool !== "tar") });
  await writeRandomFile(`${work.path}/f.bin`, 70_000, 4);
  await Deno.writeTextFile(`${work.path}/real`, "x".repeat(100_000));
  await Deno.symlink("real", `${work.path}/link`);
  const down = await download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/link`);
  assert.equal(down.fallback, "cat");
  assert.equal((await Deno.lstat(`${work.path}/link`)).isSymlink, true);
  assert.equal(await fileSha256(`${work.path}/real`), await fileSha256(`${work.path}/f.bin`));

  // Into an existing directory: a name kubexec makes up there, created fresh.
  await Deno.mkdir(`${work.path}/into`);
  const into = await download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/into`);
  assert.equal(into.target, `${work.path}/into/f.bin`);
  assert.equal(await fileSha256(`${work.path}/into/f.bin`), await fileSha256(`${work.path}/f.bin`));

  // cat fails before any byte: the file the user named keeps its contents, a new name is not made.
  await Deno.writeTextFile(`${work.path}/keep`, "keep me");
  for (const target of ["keep", "new"]) {
    await assert.rejects(
      download(sandbox.exec, `${work.path}/missing`, `${work.path}/${target}`),
      RemoteCommandError,
    );
  }
  assert.equal(await Deno.readTextFile(`${work.path}/keep`), "keep me");
  assert.equal(await Deno.lstat(`${work.path}/new`).catch(() => null), null);
});

Deno.test({
  name:
    "cp: a pipe as the source streams into the file with cat and is verified; a socket is refused",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    // `kubexec cp <(pg_dump …) POD:/tmp/dump.sql`: a pipe has no size for a tar header.
    await using work = await tempDir();
    await using sandbox = await localExec();
    const fifo = `${work.path}/fifo`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo");
    await writeRandomFile(`${work.path}/data`, 300_000, 5);
    // A process of its own, so that it can be killed should the copy never open the pipe.
    const writer = new Deno.Command("sh", {
      args: ["-c", 'exec cat "$1" > "$2"', "sh", `${work.path}/data`, fifo],
    }).spawn();
    let result;
    try {
      result = await upload(sandbox.exec, fifo, `${work.path}/out.bin`);
    } finally {
      await Promise.race([writer.status, new Promise((resolve) => setTimeout(resolve, 1000))]);
      try {
        writer.kill();
      } catch {
        // it has exited
      }
      await writer.status;
    }
    assert.equal(await fileSha256(`${work.path}/out.bin`), await fileSha256(`${work.path}/data`));
    assert.equal(result.bytes, 300_000);
    assert.equal(result.verified, "sha256");
    assert.equal(result.fallback, undefined, "not the no-tar fallback");
    assert.deepEqual(sandbox.commands.find((command) => command[0] === "sh"), [
      "sh",
      "-c",
      'cat > "$1"',
      "sh",
      `${work.path}/out.bin`,
    ]);
    assert.equal(sandbox.commands.some((command) => command[0] === "tar"), false);

    const listener = Deno.listen({ transport: "unix", path: `${work.path}/sock` });
    try {
      await assert.rejects(
        upload(sandbox.exec, `${work.path}/sock`, `${work.path}/never`),
        (error: unknown) =>
          error instanceof FileSpecError && /cannot be copied/.test(error.message),
      );
      assert.equal(await Deno.lstat(`${work.path}/never`).catch(() => null), null);
    } finally {
      listener.close();
    }
  },
});

Deno.test("cp: with neither tar nor the fallback tools the error names what is missing", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ tools: ["test", "sha256sum"] });
  await Deno.writeTextFile(`${work.path}/f`, "x");
  await assert.rejects(
    upload(sandbox.exec, `${work.path}/f`, `${work.path}/g`),
    (error: unknown) =>
      error instanceof RemoteToolMissingError &&
      error.message === '"tar" not found in the container' &&
      /neither tar nor sh/.test(error.hint),
  );
  await assert.rejects(
    download(sandbox.exec, `${work.path}/f`, `${work.path}/h`),
    (error: unknown) =>
      error instanceof RemoteToolMissingError && /neither tar nor cat/.test(error.hint),
  );
  assert.equal(await Deno.lstat(`${work.path}/h`).catch(() => null), null);
});

Deno.test("cp: the cat fallback also resumes after a cut", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({
    tools: DEFAULT_TOOLS.filter((tool) => tool !== "tar"),
    cutStdoutAfter: [undefined, 70_000],
  });
  await writeRandomFile(`${work.path}/f.bin`, 200_000, 5);
  const result = await download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/out.bin`, {
    retries: 1,
  });
  assert.equal(result.retries, 1);
  assert.deepEqual(sandbox.commands.at(-2), ["tail", "-c", "+70001", `${work.path}/f.bin`]);
  assert.equal(await fileSha256(`${work.path}/out.bin`), await fileSha256(`${work.path}/f.bin`));
});

/** An output (the CLI's stdout) that keeps what it is given, written one chunk at a time. */
function memoryOutput(): { write(bytes: Uint8Array): Promise<void>; sha256(): string } {
  const chunks: Uint8Array[] = [];
  return {
    async write(bytes) {
      await Promise.resolve();
      chunks.push(bytes.slice());
    },
    sha256: () => createHash("sha256").update(concat(chunks)).digest("hex"),
  };
}

Deno.test("cp: a single file downloaded to an output is written there, never to the path, and resumes", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({ cutStdoutAfter: [700_001] });
  await writeRandomFile(`${work.path}/f.bin`, 1_500_000, 6);
  const output = memoryOutput();
  const result = await download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/never`, {
    output,
    retries: 1,
  });
  assert.equal(result.retries, 1);
  assert.equal(result.bytes, 1_500_000);
  assert.equal(result.verified, "sha256");
  assert.equal(output.sha256(), await fileSha256(`${work.path}/f.bin`));
  await assert.rejects(Deno.lstat(`${work.path}/never`), Deno.errors.NotFound);
});

Deno.test("cp: a directory downloaded to an output fails before writing anything", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await Deno.mkdir(`${work.path}/dir`);
  await Deno.writeTextFile(`${work.path}/dir/a.txt`, "a");
  const output = memoryOutput();
  await assert.rejects(
    download(sandbox.exec, `${work.path}/dir`, `${work.path}/never`, { output }),
    (error: unknown) =>
      error instanceof ExtractError && /exists and is not a directory/.test(error.message),
  );
  assert.equal(output.sha256(), createHash("sha256").digest("hex"));
  await assert.rejects(Deno.lstat(`${work.path}/never`), Deno.errors.NotFound);
});

Deno.test("cp: the cat fallback writes to an output too", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({
    tools: DEFAULT_TOOLS.filter((tool) => tool !== "tar"),
    cutStdoutAfter: [undefined, 40_000],
  });
  await writeRandomFile(`${work.path}/f.bin`, 100_000, 7);
  const output = memoryOutput();
  const result = await download(sandbox.exec, `${work.path}/f.bin`, `${work.path}/never`, {
    output,
    retries: 1,
  });
  assert.equal(result.fallback, "cat");
  assert.equal(result.retries, 1);
  assert.equal(output.sha256(), await fileSha256(`${work.path}/f.bin`));
  await assert.rejects(Deno.lstat(`${work.path}/never`), Deno.errors.NotFound);
});

Deno.test("cp: without sha256sum the copy succeeds and says it could not verify", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({
    tools: DEFAULT_TOOLS.filter((tool) => tool !== "sha256sum"),
  });
  await Deno.writeTextFile(`${work.path}/f`, "x");
  const result = await download(sandbox.exec, `${work.path}/f`, `${work.path}/g`);
  assert.equal(result.verified, "unavailable");
  assert.match(result.warnings.at(-1)!, /sha256sum is not available/);
});

Deno.test("cp: a sha256 mismatch fails the copy", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec({
    fakeStdout: { command: "sha256sum", data: new TextEncoder().encode(`${"0".repeat(64)}  f\n`) },
  });
  await Deno.writeTextFile(`${work.path}/f`, "x");
  await assert.rejects(
    download(sandbox.exec, `${work.path}/f`, `${work.path}/g`),
    (error: unknown) =>
      error instanceof VerificationError && error.check === "sha256" &&
      error.expected === "0".repeat(64),
  );
});

Deno.test("cp: a malicious archive from the pod writes nothing outside the destination", async () => {
  await using work = await tempDir();
  await Deno.mkdir(`${work.path}/outside`);
  const prefix = `${work.path}/remote/app`.slice(1);
  const archive = buildArchive([
    { entry: { name: prefix, type: "directory" } },
    { entry: { name: `${prefix}/ok`, type: "file" }, data: new TextEncoder().encode("ok") },
    { entry: { name: `${prefix}/../../outside/evil`, type: "file" }, data: new Uint8Array(1) },
    { entry: { name: `${prefix}/escape`, type: "symlink", linkname: `${work.path}/outside` } },
    { entry: { name: `${prefix}/escape/evil`, type: "file" }, data: new Uint8Array(1) },
  ]);
  await using sandbox = await localExec({ fakeStdout: { command: "tar", data: archive } });
  const result = await download(sandbox.exec, `${work.path}/remote/app`, `${work.path}/local`);
  assert.deepEqual([...Deno.readDirSync(`${work.path}/outside`)], []);
  assert.equal(result.files, 2);
  assert.equal(result.warnings.length, 2);
  assert.equal((await Deno.lstat(`${work.path}/local/escape`)).isDirectory, true);
});

Deno.test("cp: an extraction error stops the remote command and is what the caller sees", async () => {
  await using work = await tempDir();
  const prefix = `${work.path}/remote`.slice(1);
  const archive = buildArchive([
    { entry: { name: `${prefix}/x`, type: "file" }, data: new Uint8Array(10) },
    { entry: { name: `${prefix}/x/y`, type: "file" }, data: new Uint8Array(10) },
    { entry: { name: `${prefix}/z`, type: "file" }, data: new Uint8Array(3_000_000) },
  ]);
  await using sandbox = await localExec({ fakeStdout: { command: "tar", data: archive } });
  await assert.rejects(
    download(sandbox.exec, `${work.path}/remote`, `${work.path}/local`),
    (error: unknown) => error instanceof ExtractError,
  );
});

Deno.test("cp: sockets and FIFOs in an uploaded tree are skipped with a warning", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await Deno.mkdir(`${work.path}/src`);
  await Deno.writeTextFile(`${work.path}/src/a`, "a");
  assert.equal((await run("mkfifo", [`${work.path}/src/pipe`])).code, 0);
  const warnings: string[] = [];
  const result = await upload(sandbox.exec, `${work.path}/src`, `${work.path}/dst`, {
    warn: (m, source) => source === "local" && warnings.push(m),
  });
  assert.equal(result.files, 1);
  assert.deepEqual(warnings, [
    `skipping "${work.path}/src/pipe": not a regular file, directory or symlink`,
  ]);
  assert.deepEqual([...Deno.readDirSync(`${work.path}/dst`)].map((e) => e.name), ["a"]);
});

Deno.test("cp: an upload whose remote tar exits early fails with its exit code and does not hang", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await writeRandomFile(`${work.path}/big.bin`, 8 * 1024 * 1024);
  const remote: string[] = [];
  await assert.rejects(
    upload(sandbox.exec, `${work.path}/big.bin`, `${work.path}/no/such/dir/x`, {
      warn: (m, source) => source === "remote" && remote.push(m),
    }),
    (error: unknown) => error instanceof RemoteCommandError && error.exitCode === 2,
  );
  assert.ok(remote.some((line) => /Cannot (open|chdir)/.test(line)), remote.join("\n"));
});

Deno.test("cp: a local file shrinking mid-upload fails the copy with the local error", async () => {
  await using work = await tempDir();
  await writeRandomFile(`${work.path}/f.bin`, 4 * 1024 * 1024);
  const exec: RemoteExec = async (command, { stdin }) => {
    if (command[0] === "test") return { exitCode: 1 };
    const reader = stdin!.getReader();
    await reader.read();
    await Deno.truncate(`${work.path}/f.bin`, 0);
    try {
      while (!(await reader.read()).done) {
        // A remote tar would keep reading until the stream ends or fails.
      }
    } catch {
      return { exitCode: 2 };
    }
    return { exitCode: 0 };
  };
  await assert.rejects(
    upload(exec, `${work.path}/f.bin`, "/remote/f.bin"),
    (error: unknown) =>
      error instanceof TarWriteError && /file shrank while being read/.test(error.message),
  );
});

Deno.test("cp: uploading a missing local path fails with kubectl's message", async () => {
  await using sandbox = await localExec();
  await assert.rejects(
    upload(sandbox.exec, "/nonexistent/kubexec-test", "/tmp"),
    new FileSpecError("/nonexistent/kubexec-test doesn't exist in local filesystem"),
  );
  assert.deepEqual(sandbox.commands, []);
});

Deno.test("cp: GNU tar lists our upload stream and extracts it to the same tree", async () => {
  await using work = await tempDir();
  await using sandbox = await localExec();
  await awkwardTree(`${work.path}/src`, 20);
  const archive = await collect(packLocalPath(`${work.path}/src`, { archiveName: "copy" }));
  const listing = await run("tar", ["-tvf", "-"], { stdin: archive });
  assert.equal(listing.code, 0, listing.stderr);
  assert.match(listing.stdout, /copy\/link-to-script -> script\.sh/);
  await Deno.mkdir(`${work.path}/remote`);
  await upload(sandbox.exec, `${work.path}/src`, `${work.path}/remote/copy`);
  const ours = await run("sh", ["-c", "find copy | sort"], { cwd: `${work.path}/remote` });
  const original = await run("sh", ["-c", "find src | sed 's/^src/copy/' | sort"], {
    cwd: work.path,
  });
  assert.equal(ours.stdout, original.stdout);
});
