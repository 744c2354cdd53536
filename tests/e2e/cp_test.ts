/**
 * cp through exec and tar against the real apiserver: a directory tree up to the `shell` pod and
 * back, byte-exact, one file printed with `cp POD:FILE /dev/stdout`, and kubectl's behaviour for a
 * missing local path. A missing remote path is left
 * out: kubectl 1.32 exits 0 and stops reading once the empty tar stream ends, so its copy of tar's
 * complaint is cut at a random point.
 *
 * Local paths are relative to a per-client scratch directory and remote paths relative to the
 * pod's working directory, so both clients run the same command lines (only the fresh remote
 * directory's name differs, and no output names it). Remote paths must stay relative: the harness's
 * containers are processes on this machine, not isolated file systems.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cluster } from "./cluster.ts";
import {
  assertOutcome,
  assertSameOutcome,
  kubexecReady,
  type Outcome,
  runTool,
  type Tool,
} from "./compare.ts";

/** Relative path → SHA-256 of every file under root. */
async function treeDigest(root: string, prefix = ""): Promise<Map<string, string>> {
  const digest = new Map<string, string>();
  for await (const entry of Deno.readDir(`${root}/${prefix}`)) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      for (const [path, hash] of await treeDigest(root, relative)) digest.set(path, hash);
    } else {
      const hash = createHash("sha256").update(await Deno.readFile(`${root}/${relative}`)).digest(
        "hex",
      );
      digest.set(relative, hash);
    }
  }
  return digest;
}

async function makeSourceTree(dir: string) {
  await Deno.mkdir(`${dir}/src/nested/deeper`, { recursive: true });
  await Deno.writeTextFile(`${dir}/src/hello.txt`, "hello\n");
  await Deno.writeTextFile(`${dir}/src/name with spaces.txt`, "spaces survive\n");
  const bytes = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  await Deno.writeFile(`${dir}/src/nested/deeper/blob.bin`, bytes);
  await Deno.writeFile(`${dir}/src/nested/empty`, new Uint8Array());
}

interface CpRun {
  upload: Outcome;
  download: Outcome;
  toStdout: Outcome;
  missingLocal: Outcome;
  source: Map<string, string>;
  copied: Map<string, string>;
}

async function cpRoundTrip(tool: Tool): Promise<CpRun> {
  const dir = await Deno.makeTempDir({ dir: cluster!.runDir, prefix: `cp-${tool}-` });
  try {
    await makeSourceTree(dir);
    // A fresh remote directory: cp copies into an existing directory rather than onto it.
    const remote = `shell:${dir.split("/").pop()}`;
    const upload = await runTool(tool, "admin", ["cp", "src", remote], { cwd: dir });
    const download = await runTool(tool, "admin", ["cp", remote, "back"], { cwd: dir });
    const toStdout = await runTool(tool, "admin", ["cp", `${remote}/hello.txt`, "/dev/stdout"], {
      cwd: dir,
    });
    const missingLocal = await runTool(tool, "admin", ["cp", "no-such-path", "shell:x"], {
      cwd: dir,
    });
    const source = await treeDigest(`${dir}/src`);
    const copied = await treeDigest(`${dir}/back`).catch(() => new Map<string, string>());
    return { upload, download, toStdout, missingLocal, source, copied };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "cp: a directory tree up and back byte-exact, and a missing local path",
  ignore: !cluster,
  fn: async (t) => {
    const kubectl = await cpRoundTrip("kubectl");
    assertOutcome("kubectl", kubectl.upload, { code: 0, stdout: "", stderr: "" });
    assertOutcome("kubectl", kubectl.download, { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(kubectl.copied, kubectl.source);
    assertOutcome("kubectl", kubectl.toStdout, { code: 0, stdout: "hello\n", stderr: "" });
    assertOutcome("kubectl", kubectl.missingLocal, {
      code: 1,
      stdout: "",
      stderr: "error: no-such-path doesn't exist in local filesystem\n",
    });
    await t.step({
      name: "kubexec matches kubectl",
      ignore: !kubexecReady.cp?.ready,
      fn: async () => {
        const kubexec = await cpRoundTrip("kubexec");
        assert.deepEqual(kubexec.copied, kubexec.source);
        assertSameOutcome(kubectl.upload, kubexec.upload);
        assertSameOutcome(kubectl.download, kubexec.download);
        assertSameOutcome(kubectl.toStdout, kubexec.toStdout);
        assertSameOutcome(kubectl.missingLocal, kubexec.missingLocal);
      },
    });
  },
});
