/**
 * `kubexec cp` in-process against the fake API server, whose exec runs real GNU tar, sh, cat and
 * sha256sum in a per-pod directory: round trips of a 1,000-file tree (odd names, empty
 * directories, modes, mtimes, symlinks) and of a 64 MiB file, `--no-preserve`, resuming a cut
 * download with `--retries`, a container without tar, exit codes, where warnings go, and progress
 * on a terminal.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { captureIo } from "../support/cli_io.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { fileSha256, tempDir, writeRandomFile } from "../cp/helpers.ts";
import { SHIPPED_PERMISSIONS } from "../support/oracle.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Old enough to tell a restored mtime from "now". */
const OLD_MTIME = new Date("2001-09-09T01:46:40Z");

async function which(tool: string): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if ((await Deno.stat(`${dir}/${tool}`)).isFile) return `${dir}/${tool}`;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`test host lacks ${tool}`);
}

/** A bin directory with only these tools, as the PATH of a "container" without tar. */
async function binWith(dir: string, tools: string[]): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const tool of tools) await Deno.symlink(await which(tool), `${dir}/${tool}`);
  return dir;
}

/**
 * Every entry under root as a sorted line: type, path, and for files size, sha256, mode and
 * mtime; for directories the mode; for symlinks the target.
 */
async function describe(
  root: string,
  options: { modes?: boolean; mtimes?: boolean } = {},
): Promise<string[]> {
  const lines: string[] = [];
  async function visit(path: string, relative: string) {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      const name = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const info = await Deno.lstat(full);
      const mode = options.modes ? ` ${(info.mode! & 0o777).toString(8)}` : "";
      if (info.isSymlink) {
        lines.push(`l ${name} -> ${await Deno.readLink(full)}`);
      } else if (info.isDirectory) {
        lines.push(`d ${name}${mode}`);
        await visit(full, name);
      } else {
        const digest = createHash("sha256").update(await Deno.readFile(full)).digest("hex");
        const mtime = options.mtimes ? ` @${Math.floor(info.mtime!.getTime() / 1000)}` : "";
        lines.push(`f ${name} ${info.size} ${digest}${mode}${mtime}`);
      }
    }
  }
  await visit(root, "");
  return lines.sort();
}

/** A tree of 1,000 regular files with the names, modes, links and empty directories cp must carry. */
async function makeTree(root: string): Promise<void> {
  await Deno.mkdir(`${root}/many`, { recursive: true });
  for (let i = 0; i < 991; i++) {
    const dir = `${root}/many/d${i % 10}`;
    if (i < 10) await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/f${i}.txt`, `file ${i}\n`.repeat(i % 7));
  }
  const long = `${"long-name-".repeat(12)}end.txt`;
  const deep = `${root}/${"nested-directory-name/".repeat(6)}`;
  await Deno.mkdir(deep, { recursive: true });
  const named: Record<string, string> = {
    "name with spaces.txt": "spaces\n",
    "ünïcødé-日本語.txt": "unicode\n",
    [long]: "longer than 100 bytes\n",
    'quote\'s "and" $dollar.txt': "shell characters\n",
  };
  for (const [name, text] of Object.entries(named)) {
    await Deno.writeTextFile(`${root}/${name}`, text);
  }
  await Deno.writeTextFile(`${deep}/deep.txt`, "a path longer than 100 bytes\n");
  await Deno.writeTextFile(`${root}/secret.txt`, "mode 600\n");
  await Deno.chmod(`${root}/secret.txt`, 0o600);
  await Deno.writeTextFile(`${root}/run.sh`, "#!/bin/sh\necho run\n");
  await Deno.chmod(`${root}/run.sh`, 0o755);
  await Deno.writeTextFile(`${root}/old.txt`, "old\n");
  await Deno.utime(`${root}/old.txt`, OLD_MTIME, OLD_MTIME);
  await Deno.writeFile(`${root}/empty-file`, new Uint8Array());
  await Deno.mkdir(`${root}/empty-dir/inner-empty`, { recursive: true });
  await Deno.symlink("run.sh", `${root}/link-to-run`);
  await Deno.symlink("many/d1", `${root}/link-to-dir`);
}

let server: FakeApiServer;
let kubeconfig: string;

async function cp(args: string[], options: { terminal?: boolean } = {}): Promise<Run> {
  const captured = captureIo({ env: { HOME: "/nonexistent-home" } });
  const io = options.terminal ? { ...captured.io, stderrIsTerminal: true } : captured.io;
  const code = await runCli(rootCommand, ["--kubeconfig", kubeconfig, "cp", ...args], io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

Deno.test("cp: round trips, resume, fallbacks and exit codes against the fake server", async (t) => {
  await using scratch = await tempDir("kubexec-cli-cp-");
  const noTarBin = await binWith(`${scratch.path}/no-tar-bin`, [
    "sh",
    "cat",
    "tail",
    "test",
    "sha256sum",
  ]);
  server = await startFakeApiServer({
    pods: [
      { name: "web-0", containers: [{ name: "app" }] },
      { name: "multi", containers: [{ name: "a" }, { name: "b" }] },
      { name: "notar", containers: [{ name: "app" }], env: { PATH: noTarBin } },
      { name: "done", phase: "Succeeded", containers: [{ name: "app" }] },
    ],
  });
  try {
    kubeconfig = await writeKubeconfig(server, { user: "token" });
    const pod = await server.podDir("default", "web-0");
    const local = scratch.path;

    await t.step(
      "a 1,000-file tree up and back: names, modes, mtimes, links, empty dirs",
      async () => {
        await makeTree(`${local}/tree`);
        const source = await describe(`${local}/tree`, { modes: true, mtimes: true });
        assert.equal(source.filter((line) => line.startsWith("f ")).length, 1000);
        const up = await cp([`${local}/tree`, "web-0:tree-up"]);
        assert.deepEqual(up, { code: 0, stdout: "", stderr: "" });
        assert.deepEqual(await describe(`${pod}/tree-up`, { modes: true, mtimes: true }), source);
        const down = await cp(["web-0:tree-up", `${local}/tree-down`]);
        assert.deepEqual(down, { code: 0, stdout: "", stderr: "" });
        assert.deepEqual(
          await describe(`${local}/tree-down`, { modes: true, mtimes: true }),
          source,
        );
      },
    );

    await t.step({
      name: "process substitution both ways (<(cmd) and >(cmd)), as shipped",
      ignore: Deno.build.os === "windows",
      fn: async () => {
        // bash hands `<(…)` over as /dev/fd/N, which Deno lets scoped permissions open (unlike
        // /dev/stdin): the subprocess runs kubexec with the shipped permissions to prove it.
        const script = `exec "$0" run ${SHIPPED_PERMISSIONS.join(" ")} "$1" --kubeconfig "$2" ` +
          `cp <(seq 1 20000) web-0:from-pipe.txt`;
        const run = await new Deno.Command("bash", {
          args: ["-c", script, Deno.execPath(), MAIN, kubeconfig],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
        const expected = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("");
        assert.equal(await Deno.readTextFile(`${pod}/from-pipe.txt`), expected);
        // And back into `>(…)`: written into the pipe, its /dev/fd parent left alone.
        const back = await new Deno.Command("bash", {
          args: [
            "-c",
            `"$0" run ${SHIPPED_PERMISSIONS.join(" ")} "$1" --kubeconfig "$2" ` +
            `cp web-0:from-pipe.txt >(cat > "$3"); status=$?; wait $!; exit $status`,
            Deno.execPath(),
            MAIN,
            kubeconfig,
            `${local}/to-pipe.txt`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(back.code, 0, new TextDecoder().decode(back.stderr));
        assert.equal(await Deno.readTextFile(`${local}/to-pipe.txt`), expected);
      },
    });

    await t.step("into an existing remote directory: the source's base name is kept", async () => {
      await Deno.mkdir(`${pod}/existing`);
      await Deno.writeTextFile(`${local}/one.txt`, "one\n");
      assert.equal((await cp([`${local}/one.txt`, "web-0:existing"])).code, 0);
      assert.equal(await Deno.readTextFile(`${pod}/existing/one.txt`), "one\n");
    });

    await t.step("--no-preserve: modes and mtimes are not carried, either way", async () => {
      await Deno.mkdir(`${local}/np`);
      await Deno.writeTextFile(`${local}/np/x.sh`, "x\n");
      await Deno.chmod(`${local}/np/x.sh`, 0o777);
      await Deno.utime(`${local}/np/x.sh`, OLD_MTIME, OLD_MTIME);
      assert.equal((await cp(["--no-preserve", `${local}/np`, "web-0:np-up"])).code, 0);
      const uploaded = await Deno.stat(`${pod}/np-up/x.sh`);
      assert.notEqual(uploaded.mtime!.getTime(), OLD_MTIME.getTime());
      assert.equal(uploaded.mode! & 0o022, 0, "the umask applies, not the archive's 0777");
      await Deno.utime(`${pod}/np-up/x.sh`, OLD_MTIME, OLD_MTIME);
      await Deno.chmod(`${pod}/np-up/x.sh`, 0o777);
      assert.equal((await cp(["--no-preserve", "web-0:np-up", `${local}/np-down`])).code, 0);
      const downloaded = await Deno.stat(`${local}/np-down/x.sh`);
      assert.notEqual(downloaded.mtime!.getTime(), OLD_MTIME.getTime());
      assert.notEqual(downloaded.mode! & 0o777, 0o777);
      assert.equal(await Deno.readTextFile(`${local}/np-down/x.sh`), "x\n");
    });

    await t.step("a 64 MiB file up and back, sha256 equal, summary on a terminal", async () => {
      const size = 64 * 1024 * 1024;
      await writeRandomFile(`${local}/big.bin`, size, 7);
      const expected = await fileSha256(`${local}/big.bin`);
      const up = await cp(["--verify", `${local}/big.bin`, "web-0:big.bin"], { terminal: true });
      assert.equal(up.code, 0, up.stderr);
      assert.equal(await fileSha256(`${pod}/big.bin`), expected);
      assert.match(
        up.stderr,
        /copied 1 file, 64\.0 MiB in [\d.]+s \([^)]+\/s\), sha256 verified\n$/,
      );
      const down = await cp(["--verify", "web-0:big.bin", `${local}/big-back.bin`], {
        terminal: true,
      });
      assert.equal(down.code, 0, down.stderr);
      assert.equal(down.stdout, "");
      assert.equal(await fileSha256(`${local}/big-back.bin`), expected);
      assert.match(down.stderr, /copied 1 file, 64\.0 MiB .*sha256 verified\n$/);
      const requestsBefore = server.requests.length;
      const plain = await cp(["web-0:big.bin", `${local}/big-plain.bin`], { terminal: true });
      assert.ok(
        server.requests.slice(requestsBefore)
          .every((r) => r.url.searchParams.get("command") !== "sha256sum"),
        "no verification unless asked for",
      );
      assert.match(plain.stderr, /copied 1 file, 64\.0 MiB in [\d.]+s \([^)]+\/s\)\n$/);
      assert.equal(await fileSha256(`${local}/big-plain.bin`), expected);
      await Deno.remove(`${local}/big-plain.bin`);
      const quiet = await cp(["-q", "web-0:big.bin", `${local}/big-quiet.bin`], { terminal: true });
      assert.deepEqual(quiet, { code: 0, stdout: "", stderr: "" });
      await Deno.remove(`${local}/big-quiet.bin`);
      await Deno.remove(`${local}/big-back.bin`);
    });

    await t.step(
      "a file to /dev/stdout: written to stdout in order with the resume line, no progress drawn",
      async () => {
        const lines = Array.from({ length: 100_000 }, (_, line) => `line ${line}\n`).join("");
        await Deno.writeTextFile(`${pod}/lines.txt`, lines);
        server.faults.next({ kind: "closeAfterBytes", bytes: 256 * 1024 });
        const run = await cp(["--retries", "2", "web-0:lines.txt", "/dev/stdout"], {
          terminal: true,
        });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, "", "no progress or summary over the file");
        const parts = /^([^]*?)Resuming copy at \d+ bytes, retry 1\/2\n([^]*)$/.exec(run.stdout);
        assert.ok(parts, run.stdout.slice(0, 200));
        assert.ok(parts[1].length > 0, "some bytes came before the cut");
        assert.equal(parts[1] + parts[2], lines);
      },
    );

    await t.step(
      "a download cut mid-stream resumes with --retries to identical bytes",
      async () => {
        const expected = await fileSha256(`${pod}/big.bin`);
        server.faults.next({ kind: "closeAfterBytes", bytes: 5 * 1024 * 1024 });
        const run = await cp(["--retries", "3", "web-0:big.bin", `${local}/resumed.bin`]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^Resuming copy at \d+ bytes, retry 1\/3\n$/);
        const offset = Number(/at (\d+) bytes/.exec(run.stdout)![1]);
        assert.ok(offset > 0 && offset <= 5 * 1024 * 1024, `resumed at ${offset}`);
        assert.equal(await fileSha256(`${local}/resumed.bin`), expected);
        await Deno.remove(`${local}/resumed.bin`);
      },
    );

    await t.step("a cut download without --retries exits 255 and says why", async () => {
      server.faults.next({ kind: "closeAfterBytes", bytes: 1024 * 1024 });
      const run = await cp(["web-0:big.bin", `${local}/cut.bin`]);
      assert.equal(run.code, 255);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, /^error: connection to the server was lost/);
    });

    await t.step("retries used up: kubectl's drop-out line, exit 255", async () => {
      // Cut the tar stream and its resume, not the sha256sum that runs beside them.
      const transfers = ({ url }: { url: URL }) =>
        url.pathname.endsWith("/exec") && url.searchParams.get("command") !== "sha256sum";
      server.faults.next({ kind: "closeAfterBytes", bytes: 1024 * 1024 }, transfers, 2);
      const run = await cp(["--retries", "1", "web-0:big.bin", `${local}/cut2.bin`]);
      assert.equal(run.code, 255);
      assert.match(
        run.stdout,
        /^Resuming copy at \d+ bytes, retry 1\/1\nDropping out copy after 1 retries\n$/,
      );
      assert.match(run.stderr, /^error: connection to the server was lost/);
    });

    await t.step(
      "no tar in the container: single files go through cat, with a warning",
      async () => {
        await Deno.writeTextFile(`${local}/single.txt`, "through cat\n");
        const up = await cp([`${local}/single.txt`, "notar:single.txt"]);
        assert.deepEqual(up, {
          code: 0,
          stdout: "",
          stderr: "warning: tar not found in the container; copying the single file with cat\n",
        });
        const notarDir = await server.podDir("default", "notar");
        assert.equal(await Deno.readTextFile(`${notarDir}/single.txt`), "through cat\n");
        const down = await cp(["notar:single.txt", `${local}/single-back.txt`]);
        assert.equal(down.code, 0, down.stderr);
        assert.match(
          down.stderr,
          /tar not found in the container; copying the single file with cat/,
        );
        assert.equal(await Deno.readTextFile(`${local}/single-back.txt`), "through cat\n");
      },
    );

    await t.step("no tar in the container: a directory fails with a clear message", async () => {
      const run = await cp([`${local}/np`, "notar:np"]);
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        'error: "tar" not found in the container\nhint: copying a directory needs tar in the container; single files can be copied without it\n',
      );
    });

    await t.step(
      "tar's warnings are shown on stdout for a download and do not fail it",
      async () => {
        const run = await cp([`web-0:${pod}/existing/one.txt`, `${local}/abs.txt`]);
        assert.equal(run.code, 0);
        assert.match(run.stdout, /tar: Removing leading `\/' from member names\n$/);
        assert.equal(run.stderr, "");
        assert.equal(await Deno.readTextFile(`${local}/abs.txt`), "one\n");
      },
    );

    await t.step("a remote tar failure exits with its code and kubectl's message", async () => {
      const run = await cp(["web-0:no-such-file", `${local}/nothing`]);
      assert.equal(run.code, 2);
      assert.match(run.stdout, /no-such-file: Cannot stat: No such file or directory\n/);
      assert.equal(run.stderr, "command terminated with exit code 2\n");
    });

    await t.step(
      "Defaulted container: stdout on download, stderr on upload, -q silences",
      async () => {
        const down = await cp(["multi:.", `${local}/multi-down`]);
        assert.deepEqual(down, {
          code: 0,
          stdout: 'Defaulted container "a" out of: a, b\n',
          stderr: "",
        });
        const up = await cp([`${local}/one.txt`, "multi:one.txt"]);
        assert.deepEqual(up, {
          code: 0,
          stdout: "",
          stderr: 'Defaulted container "a" out of: a, b\n',
        });
        assert.deepEqual(await cp(["-q", `${local}/one.txt`, "multi:one.txt"]), {
          code: 0,
          stdout: "",
          stderr: "",
        });
      },
    );

    await t.step("a completed pod is refused before any exec", async () => {
      const run = await cp(["done:x", `${local}/x`]);
      assert.deepEqual(run, {
        code: 1,
        stdout: "",
        stderr:
          "error: cannot exec into a container in a completed pod; current phase is Succeeded\n",
      });
    });

    await t.step("a Windows drive path is never a pod", async () => {
      const run = await cp(["C:\\Users\\me\\file.txt", "web-0:x"]);
      assert.deepEqual(run, {
        code: 1,
        stdout: "",
        stderr: "error: C:\\Users\\me\\file.txt doesn't exist in local filesystem\n",
      });
    });

    await t.step("an upload over v4 is refused: the remote tar would never see EOF", async () => {
      server.faults.always({ kind: "refuseV5" });
      try {
        const run = await cp([`${local}/one.txt`, "web-0:v4.txt"]);
        assert.equal(run.code, 1);
        assert.match(
          run.stderr,
          /^error: the server chose v4\.channel\.k8s\.io, which cannot signal the end of stdin.*\nhint: copying into a container needs v5\.channel\.k8s\.io/,
        );
        const down = await cp(["web-0:existing/one.txt", `${local}/v4.txt`]);
        assert.equal(down.code, 0, down.stderr);
        assert.equal(await Deno.readTextFile(`${local}/v4.txt`), "one\n");
      } finally {
        server.faults.clear();
      }
    });
  } finally {
    await server.close();
  }
});
