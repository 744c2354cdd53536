/**
 * `kubexec cp` through the real CLI (subprocess, shipped permissions) against the fake API server,
 * with kubectl cp as the oracle: each scenario runs both clients with the same arguments (each in
 * its own local scratch directory and remote directory), then compares stdout, stderr, the exit
 * code and the copied tree. Scenarios where kubexec is deliberately different (docs/differences.md)
 * assert kubexec's own expectation instead, and still check kubectl's documented behaviour.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { Fault, FaultMatcher } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { kubectlPath, runKubectl, runKubexec, type RunResult } from "../support/oracle.ts";
import { tempDir, writeRandomFile } from "../cp/helpers.ts";

/** klog line of a client-go WebSocket race that kubectl prints at random. */
const KUBECTL_STREAM_RACE_LINE =
  /^E\d{4} [^\n]*websocket\.go:\d+\] Unknown stream id \d+, discarding message\n/gm;

/** Where one client's run happens. */
interface Place {
  /** Absolute local scratch directory, fresh per client and scenario. */
  local: string;
  /** A remote name (relative to the pod's directory), fresh per client and scenario. */
  remote: string;
  /** The pod's directory on this machine. */
  podDir: string;
}

interface Expectation extends Partial<RunResult> {
  stdoutMatch?: RegExp;
  stderrMatch?: RegExp;
}

interface Scenario {
  name: string;
  args: (place: Place) => string[];
  /** Prepares the client's place before it runs. */
  before?: (place: Place) => Promise<void>;
  fault?: Fault;
  faultMatch?: FaultMatcher;
  /** A tree (file or directory) whose contents must be equal for both clients. */
  result?: (place: Place) => string;
  /** The source that kubexec's `result` must equal. */
  source?: (place: Place) => string;
  /** kubexec's expected result; required when kubectl differs on purpose. */
  expect?: Expectation;
  /** Why kubectl's result is not the oracle here (documented in docs/differences.md). */
  differs?: string;
  /** kubectl's behaviour in a `differs` scenario, asserted so the row stays true. */
  kubectl?: Expectation;
}

/** Relative path → sha256 (files) or "dir"; symlinks as "-> target". */
async function contents(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function visit(full: string, relative: string) {
    const info = await Deno.lstat(full);
    if (info.isSymlink) out.set(relative, `-> ${await Deno.readLink(full)}`);
    else if (info.isFile) {
      out.set(relative, createHash("sha256").update(await Deno.readFile(full)).digest("hex"));
    } else {
      out.set(relative, "dir");
      for await (const entry of Deno.readDir(full)) {
        await visit(`${full}/${entry.name}`, relative ? `${relative}/${entry.name}` : entry.name);
      }
    }
  }
  await visit(path, "");
  return out;
}

async function makeSource(local: string): Promise<void> {
  await Deno.mkdir(`${local}/src/nested/deeper`, { recursive: true });
  await Deno.mkdir(`${local}/src/empty`);
  await Deno.writeTextFile(`${local}/src/hello.txt`, "hello\n");
  await Deno.writeTextFile(`${local}/src/name with spaces.txt`, "spaces\n");
  await Deno.writeTextFile(`${local}/src/ünïcødé.txt`, "unicode\n");
  await Deno.writeTextFile(`${local}/src/nested/${"x".repeat(120)}.txt`, "long name\n");
  await writeRandomFile(`${local}/src/nested/deeper/blob.bin`, 3 * 1024 * 1024 + 17, 3);
}

/** The source tree, uploaded into the pod under the place's remote name. */
async function remoteSource(place: Place): Promise<void> {
  await makeSource(`${place.podDir}/${place.remote}`);
}

/** A bin directory with the usual tools but `missing`, as the PATH of a minimal image. */
async function binWithout(missing: string, dir: string): Promise<string> {
  await Deno.mkdir(dir);
  for (const tool of ["sh", "cat", "tail", "test", "sha256sum", "tar"]) {
    if (tool === missing) continue;
    const found = (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")
      .map((directory) => `${directory}/${tool}`)
      .find((candidate) => {
        try {
          return Deno.statSync(candidate).isFile;
        } catch {
          return false;
        }
      });
    if (found) await Deno.symlink(found, `${dir}/${tool}`);
  }
  return dir;
}

const transfers: FaultMatcher = ({ url }) =>
  url.pathname.endsWith("/exec") && url.searchParams.get("command") !== "sha256sum";

const scenarios: Scenario[] = [
  {
    name: "upload a tree into a new remote directory",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", `${p.local}/src`, `web-0:${p.remote}`],
    result: (p) => `${p.podDir}/${p.remote}`,
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "upload a tree into an existing remote directory",
    before: async (p) => {
      await makeSource(p.local);
      await Deno.mkdir(`${p.podDir}/${p.remote}`);
    },
    args: (p) => ["cp", `${p.local}/src`, `web-0:${p.remote}`],
    result: (p) => `${p.podDir}/${p.remote}/src`,
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "upload a tree onto an existing remote file: tar fails and the file stays",
    before: async (p) => {
      await makeSource(p.local);
      await Deno.writeTextFile(`${p.podDir}/${p.remote}`, "keep me\n");
    },
    args: (p) => ["cp", `${p.local}/src`, `web-0:${p.remote}`],
    result: (p) => `${p.podDir}/${p.remote}`,
    expect: {
      code: 2,
      stdout: "",
      stderrMatch: /: Not a directory\n(.*\n)*command terminated with exit code 2\n$/,
    },
  },
  {
    name: "download a tree",
    before: remoteSource,
    args: (p) => ["cp", `web-0:${p.remote}/src`, `${p.local}/back`],
    result: (p) => `${p.local}/back`,
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "download a single file to a new name",
    before: remoteSource,
    args: (p) => ["cp", `web-0:${p.remote}/src/hello.txt`, `${p.local}/copy.txt`],
    result: (p) => `${p.local}/copy.txt`,
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "download by absolute path: tar's notice on stdout, success",
    differs:
      "kubectl exits as soon as the archive ends, so tar's notice on the other channel is often lost",
    before: remoteSource,
    args: (p) => ["cp", `web-0:${p.podDir}/${p.remote}/src/hello.txt`, `${p.local}/abs.txt`],
    result: (p) => `${p.local}/abs.txt`,
    source: (p) => `${p.podDir}/${p.remote}/src/hello.txt`,
    expect: {
      code: 0,
      stdoutMatch: /^(\S*\/)?tar: Removing leading `\/' from member names\n$/,
      stderr: "",
    },
    kubectl: { code: 0, stderr: "" },
  },
  {
    name: "upload into a missing remote directory: tar's error and exit code",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", `${p.local}/src/hello.txt`, `web-0:${p.remote}/missing/dir/x`],
    expect: {
      code: 2,
      stdout: "",
      stderrMatch:
        /: Cannot open: No such file or directory\n(.*\n)*command terminated with exit code 2\n$/,
    },
  },
  {
    name: "multi-container pod: the notice goes to stdout on download",
    before: async (p) => {
      const dir = await server.podDir("default", "multi");
      await Deno.writeTextFile(`${dir}/${p.remote}`, "multi\n");
    },
    args: (p) => ["cp", `multi:${p.remote}`, `${p.local}/multi.txt`],
    result: (p) => `${p.local}/multi.txt`,
    expect: { code: 0, stdout: 'Defaulted container "a" out of: a, b\n', stderr: "" },
  },
  {
    name: "multi-container pod: the notice goes to stderr on upload",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", `${p.local}/src/hello.txt`, `multi:${p.remote}`],
    expect: { code: 0, stdout: "", stderr: 'Defaulted container "a" out of: a, b\n' },
  },
  {
    name: "-c names the container",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", "-c", "b", `${p.local}/src/hello.txt`, `multi:${p.remote}`],
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "unknown container: the server's 400",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", "-c", "zz", `${p.local}/src/hello.txt`, `web-0:${p.remote}`],
    expect: {
      code: 1,
      stderr: "Error from server (BadRequest): container zz is not valid for pod web-0\n",
    },
  },
  {
    name: "missing pod on upload",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", `${p.local}/src/hello.txt`, "nope:x"],
    expect: { code: 1, stderr: 'Error from server (NotFound): pods "nope" not found\n' },
  },
  {
    name: "missing pod on download",
    args: (p) => ["cp", "nope:x", `${p.local}/x`],
    expect: { code: 1, stderr: 'Error from server (NotFound): pods "nope" not found\n' },
  },
  {
    name: "namespace/pod spec",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", `${p.local}/src/hello.txt`, `other/side:${p.remote}`],
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "missing local source",
    args: () => ["cp", "no-such-path", "web-0:x"],
    expect: { code: 1, stderr: "error: no-such-path doesn't exist in local filesystem\n" },
  },
  {
    name: "one argument",
    args: () => ["cp", "web-0:x"],
    expect: { code: 1, stderr: "error: source and destination are required\n" },
  },
  {
    name: "both local",
    args: () => ["cp", "a", "b"],
    expect: { code: 1, stderr: "error: one of src or dest must be a remote file specification\n" },
  },
  {
    name: "both remote",
    args: () => ["cp", "web-0:a", "web-0:b"],
    expect: { code: 1, stderr: "error: one of src or dest must be a local file specification\n" },
  },
  {
    name: "leading colon",
    args: () => ["cp", ":a", "b"],
    expect: {
      code: 1,
      stderr: "error: filespec must match the canonical format: [[namespace/]pod:]file/path\n",
    },
  },
  {
    name: "empty remote path",
    args: () => ["cp", "web-0:", "b"],
    expect: { code: 1, stderr: "error: filepath can not be empty\n" },
  },
  {
    name: "a missing remote path fails with tar's exit code",
    args: (p) => ["cp", "web-0:no-such-file", `${p.local}/nothing`],
    differs:
      "kubectl 1.32 stops at the end of the empty archive and exits 0 before tar's status arrives",
    expect: {
      code: 2,
      stdoutMatch: /no-such-file: Cannot stat: No such file or directory\n/,
      stderr: "command terminated with exit code 2\n",
    },
    kubectl: { code: 0, stderr: "" },
  },
  {
    name: "a symlink inside a downloaded tree is kept",
    before: async (p) => {
      await remoteSource(p);
      await Deno.symlink("hello.txt", `${p.podDir}/${p.remote}/src/link`);
    },
    args: (p) => ["cp", `web-0:${p.remote}/src`, `${p.local}/back`],
    differs: "kubectl skips every symlink with a warning; kubexec keeps links that stay inside",
    expect: { code: 0, stdout: "", stderr: "" },
    kubectl: {
      code: 0,
      stderrMatch: /^warning: skipping symlink: ".*\/back\/link" -> "hello.txt"/,
    },
  },
  {
    name: "a single file into an existing local directory",
    before: async (p) => {
      await remoteSource(p);
      await Deno.mkdir(`${p.local}/into`);
    },
    args: (p) => ["cp", `web-0:${p.remote}/src/hello.txt`, `${p.local}/into`],
    differs: "kubectl tries to open the directory as the file; kubexec writes into it, like cp(1)",
    expect: { code: 0, stdout: "", stderr: "" },
    kubectl: { code: 1, stderrMatch: /^error: open .*\/into: is a directory\n$/ },
  },
  {
    name: "a single file onto a symlink the user made: written through it, the link kept",
    before: async (p) => {
      await remoteSource(p);
      await Deno.writeTextFile(`${p.local}/real`, "old contents, longer than the new ones\n");
      await Deno.symlink("real", `${p.local}/link`);
    },
    args: (p) => ["cp", `web-0:${p.remote}/src/hello.txt`, `${p.local}/link`],
    result: (p) => p.local,
    expect: { code: 0, stdout: "", stderr: "" },
  },
  {
    name: "a single file to /dev/stdout is printed, as kubectl prints it",
    before: remoteSource,
    args: (p) => ["cp", `web-0:${p.remote}/src/hello.txt`, "/dev/stdout"],
    expect: { code: 0, stdout: "hello\n", stderr: "" },
  },
  {
    name: "a single file to /dev/stderr, through /proc/self/fd/2",
    before: remoteSource,
    args: (p) => ["cp", `web-0:${p.remote}/src/hello.txt`, "/proc/self/fd/2"],
    expect: { code: 0, stdout: "", stderr: "hello\n" },
  },
  {
    name: "a file of 3 MiB to /dev/fd/1 arrives whole",
    before: async (p) => {
      const lines = Array.from({ length: 300_000 }, (_, line) => `line ${line}\n`).join("");
      await Deno.mkdir(`${p.podDir}/${p.remote}`);
      await Deno.writeTextFile(`${p.podDir}/${p.remote}/lines.txt`, lines);
    },
    args: (p) => ["cp", `web-0:${p.remote}/lines.txt`, "/dev/fd/1"],
    expect: { code: 0, stdoutMatch: /^line 0\n(.|\n)*line 299999\n$/, stderr: "" },
  },
  {
    name: "a directory to /dev/stdout",
    before: remoteSource,
    args: (p) => ["cp", `web-0:${p.remote}/src`, "/dev/stdout"],
    differs: "kubexec names the extraction that failed, as for any destination that is a file",
    expect: {
      code: 1,
      stdout: "",
      stderr:
        'error: cannot extract "/dev/stdout": the destination exists and is not a directory\n',
    },
    kubectl: { code: 1, stdout: "", stderr: "error: mkdir /dev/stdout: not a directory\n" },
  },
  {
    name: "no tar in the container: a single file to /dev/stdout goes through cat",
    before: async (p) => {
      await Deno.writeTextFile(`${await server.podDir("default", "notar")}/${p.remote}`, "cat\n");
    },
    args: (p) => ["cp", `notar:${p.remote}`, "/dev/stdout"],
    differs: "kubectl fails on the missing tar; kubexec falls back to cat for single files",
    expect: {
      code: 0,
      stdout: "cat\n",
      stderr: "warning: tar not found in the container; copying the single file with cat\n",
    },
    kubectl: { code: 1, stderrMatch: /executable file not found in \$PATH/ },
  },
  {
    name: "a Windows drive path is local, never pod C",
    args: () => ["cp", "C:\\Users\\me\\file.txt", "web-0:x"],
    differs: "kubectl takes C:\\… for pod C (kubernetes#77310)",
    expect: {
      code: 1,
      stderr: "error: C:\\Users\\me\\file.txt doesn't exist in local filesystem\n",
    },
    kubectl: {
      code: 1,
      stderr: "error: one of src or dest must be a local file specification\n",
    },
  },
  {
    name: "no tar in the container: a single file goes through cat",
    before: async (p) => await makeSource(p.local),
    args: (p) => ["cp", `${p.local}/src/hello.txt`, `notar:${p.remote}`],
    differs: "kubectl fails on the missing tar; kubexec falls back to cat for single files",
    expect: {
      code: 0,
      stdout: "",
      stderr: "warning: tar not found in the container; copying the single file with cat\n",
    },
    kubectl: { code: 1, stderrMatch: /executable file not found in \$PATH/ },
  },
  {
    name: "a download cut mid-stream without --retries",
    before: async (p) => {
      await Deno.mkdir(`${p.podDir}/${p.remote}`);
      await writeRandomFile(`${p.podDir}/${p.remote}/big.bin`, 8 * 1024 * 1024, 5);
    },
    args: (p) => ["cp", `web-0:${p.remote}/big.bin`, `${p.local}/big.bin`],
    fault: { kind: "closeAfterBytes", bytes: 1024 * 1024 },
    faultMatch: transfers,
    differs:
      "kubectl reports the broken tar stream and exits 1; kubexec says the connection was lost",
    expect: { code: 255, stdout: "", stderrMatch: /^error: connection to the server was lost/ },
    kubectl: { code: 1 },
  },
  {
    name: "a download cut mid-stream resumes with --retries",
    before: async (p) => {
      await Deno.mkdir(`${p.podDir}/${p.remote}`);
      await writeRandomFile(`${p.podDir}/${p.remote}/big.bin`, 8 * 1024 * 1024, 5);
    },
    args: (p) => ["cp", "--retries=3", `web-0:${p.remote}/big.bin`, `${p.local}/big.bin`],
    fault: { kind: "closeAfterBytes", bytes: 1024 * 1024 },
    faultMatch: transfers,
    result: (p) => `${p.local}/big.bin`,
    source: (p) => `${p.podDir}/${p.remote}/big.bin`,
    differs:
      "kubectl's exec goroutine exits the process on the broken stream before its reader resumes",
    expect: { code: 0, stdoutMatch: /^Resuming copy at \d+ bytes, retry 1\/3\n$/, stderr: "" },
    kubectl: { code: 1, stderrMatch: /error: error reading from error stream/ },
  },
];

/**
 * Each client copies to its own remote name; messages naming it are otherwise equal. kubectl's
 * client-go sometimes logs a message that raced its stream setup (`Unknown stream id 1,
 * discarding message`): noise of its WebSocket executor, not cp's behaviour.
 */
function normalize(result: RunResult): RunResult {
  const unify = (text: string) =>
    text.replace(/remote-\d+/g, "remote-N")
      .replace(KUBECTL_STREAM_RACE_LINE, "");
  return { ...result, stdout: unify(result.stdout), stderr: unify(result.stderr) };
}

let server: FakeApiServer;

Deno.test("cp: kubexec and kubectl agree on every scenario", async (t) => {
  await using scratch = await tempDir("kubexec-cp-oracle-");
  server = await startFakeApiServer({
    pods: [
      { name: "web-0", containers: [{ name: "app" }] },
      { name: "multi", containers: [{ name: "a" }, { name: "b" }] },
      { name: "side", namespace: "other", containers: [{ name: "app" }] },
      {
        name: "notar",
        containers: [{ name: "app" }],
        env: { PATH: await binWithout("tar", `${scratch.path}/no-tar-bin`) },
      },
    ],
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const podDir = await server.podDir("default", "web-0");
    if (!kubectlPath) {
      // deno-lint-ignore no-console
      console.log("kubectl not on PATH: comparing kubexec with its expectations only");
    }
    let counter = 0;
    const place = async (): Promise<Place> => {
      counter++;
      const local = `${scratch.path}/run-${counter}`;
      await Deno.mkdir(local);
      return { local, remote: `remote-${counter}`, podDir };
    };
    const runWith = async (
      client: typeof runKubexec,
      scenario: Scenario,
    ): Promise<{ result: RunResult; tree?: Map<string, string>; source?: Map<string, string> }> => {
      const where = await place();
      await scenario.before?.(where);
      const result = await client(["--kubeconfig", kubeconfig, ...scenario.args(where)], {
        before: () => scenario.fault && server.faults.next(scenario.fault, scenario.faultMatch),
      });
      const tree = scenario.result ? await contents(scenario.result(where)) : undefined;
      const source = scenario.source ? await contents(scenario.source(where)) : undefined;
      return { result, tree, source };
    };
    const check = (who: string, raw: RunResult, expectation: Expectation) => {
      // The same noise of kubectl's WebSocket executor that normalize() drops.
      const result = { ...raw, stderr: raw.stderr.replace(KUBECTL_STREAM_RACE_LINE, "") };
      const { stdoutMatch, stderrMatch, ...exact } = expectation;
      for (const [key, value] of Object.entries(exact)) {
        assert.equal(result[key as keyof RunResult], value, `${key} of ${who}`);
      }
      if (stdoutMatch) assert.match(result.stdout, stdoutMatch, `stdout of ${who}`);
      if (stderrMatch) assert.match(result.stderr, stderrMatch, `stderr of ${who}`);
    };
    for (const scenario of scenarios) {
      await t.step(scenario.name, async () => {
        const ours = await runWith(runKubexec, scenario);
        check("kubexec", ours.result, scenario.expect ?? {});
        if (ours.source) {
          assert.deepEqual(ours.tree, ours.source, "kubexec's copy must equal the source");
        }
        if (!kubectlPath) return;
        const theirs = await runWith(runKubectl, scenario);
        server.faults.clear();
        if (scenario.differs) {
          check("kubectl", theirs.result, scenario.kubectl ?? {});
          return;
        }
        assert.deepEqual(
          normalize(ours.result),
          normalize(theirs.result),
          "kubexec must match kubectl",
        );
        assert.deepEqual(ours.tree, theirs.tree, "both must copy the same tree");
      });
    }
  } finally {
    await server.close();
  }
});
