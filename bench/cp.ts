/**
 * cp benchmark: `kubexec cp` against `kubectl cp` on the same API server, whose exec runs the real
 * GNU tar in a per-pod directory: a 1 GiB file and a 1,000-file tree, each uploaded and
 * downloaded, timed from process start to exit, every result checked byte for byte. A
 * `--verify` row shows the cost of kubexec's sha256 comparison with the container's `sha256sum`
 * (on by default only with `--retries`).
 *
 * The reference beside each plain row is the same copy with no client and no server: the system's
 * `tar -c` piped straight into `tar -x` between the same two directories (`-m` on uploads, as
 * kubectl's remote command has it), timed and checked the same way. Both clients run those two
 * tars plus a session, so it shows how much of a row's time is left to a client at all. On those
 * rows every run also records the CPU time the whole machine spent meanwhile (`/proc/stat`: client,
 * server, tars and the kernel's writeback), which says whether a copy waited or was bound by the
 * machine's cores. Each timed run starts after an untimed `sync`, so that no run pays for writing
 * back the files of the run before it.
 *
 * `deno run --allow-all bench/cp.ts [runs] [file MiB]` starts the Go bench server
 * (`bench_server.ts`) and prints the rows; bench/main.ts calls {@linkcode cpRows} with its own.
 * Until this version the rows ran on the tests' fake API server (Deno), whose stdin path took
 * 2.6–3.0 s per GiB whichever client sent it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { kubectlPath, SHIPPED_PERMISSIONS } from "../tests/support/oracle.ts";

/** One benchmark row: median wall time of each client, in seconds. */
export interface CpRow {
  name: string;
  kubexec: number;
  /** `undefined` when kubectl is not on PATH. */
  kubectl: number | undefined;
  unit: "s";
  /** Every run's time, for the spread. */
  kubexecRuns: number[];
  kubectlRuns: number[];
  /** The reference's runs (the two tars, no client), when the row has one. */
  referenceRuns?: number[];
  /**
   * Goal for kubexec's time ÷ kubectl's: 1.5× kubectl's speed (issue 8) on the rows where both
   * clients do the same job; none on the rows with kubexec-only flags.
   */
  goal?: number;
  /**
   * Seconds of CPU the whole machine spent during each run (every core and process: client,
   * server, the pod's tar), where `/proc/stat` exists; on the rows with a reference. Against
   * twice the wall time on two cores, it says whether the copy was bound by the machine's CPU.
   */
  busy?: Record<"kubexec" | "kubectl" | "reference", number[]>;
}

/** Options of {@linkcode cpRows}. */
export interface CpBenchOptions {
  /** Runs per row and client (default 3). */
  runs?: number;
  /** Size of the single file (default 1 GiB). */
  fileBytes?: number;
  /** Files in the tree (default 1,000). */
  treeFiles?: number;
  /** How to start kubexec (default: `deno run` of main.ts with the shipped permissions). */
  kubexecCommand?: string[];
  /** The pod to copy into (default `cp-bench`); its files live in `podDir`. */
  pod?: string;
  /** Called after each timed run, e.g. to print progress. */
  onRun?: (row: string, client: string, seconds: number) => void;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const MIB = 1024 * 1024;

/** Writes `bytes` of incompressible data: a random 1 MiB block, varied per MiB. */
async function writeBigFile(path: string, bytes: number): Promise<string> {
  const block = new Uint8Array(MIB);
  for (let offset = 0; offset < block.length; offset += 65536) {
    crypto.getRandomValues(block.subarray(offset, offset + 65536));
  }
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let written = 0, index = 0; written < bytes; index++) {
      new DataView(block.buffer).setUint32(0, index);
      const piece = block.subarray(0, Math.min(block.length, bytes - written));
      hash.update(piece);
      let offset = 0;
      while (offset < piece.length) offset += await file.write(piece.subarray(offset));
      written += piece.length;
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

async function writeTree(root: string, files: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const dir = `${root}/d${i % 10}`;
    if (i < 10) await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/file-${i}.txt`, `${i} `.repeat(1024).slice(0, 4096));
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** Relative path → sha256 of every file under root, as one digest. */
async function treeDigest(root: string): Promise<string> {
  const entries: string[] = [];
  async function visit(dir: string, relative: string) {
    for await (const entry of Deno.readDir(dir)) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory) await visit(`${dir}/${entry.name}`, name);
      else entries.push(`${name} ${await fileDigest(`${dir}/${entry.name}`)}`);
    }
  }
  await visit(root, "");
  return createHash("sha256").update(entries.sort().join("\n")).digest("hex");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * CPU time the whole machine has spent busy so far (all cores, every process), in seconds, from
 * `/proc/stat`; `undefined` where there is none.
 */
async function machineBusySeconds(): Promise<number | undefined> {
  const stat = await Deno.readTextFile("/proc/stat").catch(() => undefined);
  const fields = stat?.match(/^cpu +(.*)$/m)?.[1].trim().split(/ +/).map(Number);
  if (!fields || fields.length < 7) return undefined;
  // user nice system idle iowait irq softirq [steal …]: all but idle and iowait.
  const [user, nice, system, , , irq, softirq] = fields;
  const ticks = user + nice + system + irq + softirq;
  // USER_HZ is 100 on every Linux this runs on.
  return ticks / 100;
}

async function timed(command: string[]): Promise<{ seconds: number; busy?: number }> {
  const busyBefore = await machineBusySeconds();
  const started = performance.now();
  const output = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: "/nonexistent-home", NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
    clearEnv: true,
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const busyAfter = await machineBusySeconds();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(`${command.join(" ")} exited ${output.code}: ${stderr}`);
  }
  const busy = busyBefore === undefined || busyAfter === undefined
    ? undefined
    : busyAfter - busyBefore;
  return { seconds, busy };
}

interface Scenario {
  name: string;
  /** Arguments for run `run`, plus the check of what it copied. */
  prepare(client: string, run: number): { args: string[]; check: () => Promise<void> };
  extraArgs?: { kubexec?: string[] };
  /** The same copy by the system's tar alone, for run `run`. */
  reference?(run: number): ReferenceCopy;
}

/**
 * `tar -c` of `member` in `from` piped into `tar` with `xFlags` in the fresh directory `into`;
 * `check` compares what arrived there and removes it.
 */
interface ReferenceCopy {
  from: string;
  member: string;
  into: string;
  xFlags: string;
  check: () => Promise<void>;
}

type Who = "kubexec" | "kubectl" | "reference";

/** `tar -cf - -C FROM MEMBER | tar -XFLAGS - -C INTO`, the copy without a client. */
function referenceCommand(spec: ReferenceCopy): string[] {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  return [
    "/bin/sh",
    "-c",
    `set -e; mkdir -p ${quote(spec.into)}; ` +
    `tar -cf - -C ${quote(spec.from)} ${quote(spec.member)} | ` +
    `tar ${spec.xFlags} - -C ${quote(spec.into)}`,
  ];
}

/**
 * Runs the cp scenarios with both clients against the server `kubeconfig` names and returns one
 * row per scenario. `podDir` is the directory the server runs the pod's processes in (created
 * when missing): the download sources are put there, the uploads checked there.
 *
 * @example
 * ```ts ignore
 * import { cpRows } from "./cp.ts";
 * const rows = await cpRows("/tmp/pods/default/cp-bench", kubeconfigPath, { runs: 5 });
 * ```
 */
export async function cpRows(
  podDir: string,
  kubeconfig: string,
  options: CpBenchOptions = {},
): Promise<CpRow[]> {
  const runs = options.runs ?? 3;
  const fileBytes = options.fileBytes ?? 1024 * MIB;
  const treeFiles = options.treeFiles ?? 1000;
  const pod = options.pod ?? "cp-bench";
  const kubexecCommand = options.kubexecCommand ??
    [Deno.execPath(), "run", ...SHIPPED_PERMISSIONS, MAIN];
  await Deno.mkdir(podDir, { recursive: true });
  const work = await Deno.makeTempDir({ prefix: "kubexec-bench-cp-" });
  try {
    const sizeName = fileBytes >= 1024 * MIB
      ? `${fileBytes / (1024 * MIB)} GiB`
      : `${fileBytes / MIB} MiB`;
    const fileDigestExpected = await writeBigFile(`${work}/big.bin`, fileBytes);
    await writeTree(`${work}/tree`, treeFiles);
    const treeExpected = await treeDigest(`${work}/tree`);
    // The download sources, uploaded once with the system tar rather than by a client under test.
    await Deno.copyFile(`${work}/big.bin`, `${podDir}/big.bin`);
    await new Deno.Command("cp", { args: ["-r", `${work}/tree`, `${podDir}/tree`] }).output();

    const fileMatches = (path: string) => async () => {
      const digest = await fileDigest(path);
      if (digest !== fileDigestExpected) throw new Error(`${path}: sha256 differs from the source`);
      await Deno.remove(path);
    };
    const treeMatches = (path: string) => async () => {
      const digest = await treeDigest(path);
      if (digest !== treeExpected) throw new Error(`${path}: tree differs from the source`);
      await Deno.remove(path, { recursive: true });
    };
    // The copy by the system's tar alone: uploads land in the pod's directory and extract with
    // `-xmf`, as kubectl's remote command does; downloads land in the work directory.
    const tarsAlone = (
      direction: "upload" | "download",
      member: string,
      label: string,
      matches: (path: string) => () => Promise<void>,
    ) =>
    (run: number): ReferenceCopy => {
      const upload = direction === "upload";
      const into = `${upload ? podDir : work}/${label}-ref-${run}`;
      return {
        from: upload ? work : podDir,
        member,
        into,
        xFlags: upload ? "-xmf" : "-xf",
        check: matches(`${into}/${member}`),
      };
    };
    const scenarios: Scenario[] = [
      {
        name: `cp upload ${sizeName} file`,
        prepare: (client, run) => {
          const name = `up-${client}-${run}.bin`;
          return {
            args: ["cp", `${work}/big.bin`, `${pod}:${name}`],
            check: fileMatches(`${podDir}/${name}`),
          };
        },
        reference: tarsAlone("upload", "big.bin", "up", fileMatches),
      },
      {
        name: `cp download ${sizeName} file`,
        prepare: (client, run) => {
          const path = `${work}/down-${client}-${run}.bin`;
          return { args: ["cp", `${pod}:big.bin`, path], check: fileMatches(path) };
        },
        reference: tarsAlone("download", "big.bin", "down", fileMatches),
      },
      {
        name: `cp download ${sizeName} file (kubexec --verify)`,
        extraArgs: { kubexec: ["--verify"] },
        prepare: (client, run) => {
          const path = `${work}/down-nv-${client}-${run}.bin`;
          return { args: ["cp", `${pod}:big.bin`, path], check: fileMatches(path) };
        },
      },
      {
        name: `cp upload ${treeFiles}-file tree`,
        prepare: (client, run) => {
          const name = `up-tree-${client}-${run}`;
          return {
            args: ["cp", `${work}/tree`, `${pod}:${name}`],
            check: treeMatches(`${podDir}/${name}`),
          };
        },
        reference: tarsAlone("upload", "tree", "up-tree", treeMatches),
      },
      {
        name: `cp download ${treeFiles}-file tree`,
        prepare: (client, run) => {
          const path = `${work}/down-tree-${client}-${run}`;
          return { args: ["cp", `${pod}:tree`, path], check: treeMatches(path) };
        },
        reference: tarsAlone("download", "tree", "down-tree", treeMatches),
      },
      // kubexec keeps modes and mtimes both ways; kubectl does neither (docs/differences.md).
      // With --no-preserve kubexec sends kubectl's own remote command (`tar -xmf`) and extracts
      // without chmod/utime: what the same semantics cost.
      {
        name: `cp upload ${treeFiles}-file tree (kubexec --no-preserve)`,
        extraArgs: { kubexec: ["--no-preserve"] },
        prepare: (client, run) => {
          const name = `up-tree-np-${client}-${run}`;
          return {
            args: ["cp", `${work}/tree`, `${pod}:${name}`],
            check: treeMatches(`${podDir}/${name}`),
          };
        },
      },
      {
        name: `cp download ${treeFiles}-file tree (kubexec --no-preserve)`,
        extraArgs: { kubexec: ["--no-preserve"] },
        prepare: (client, run) => {
          const path = `${work}/down-tree-np-${client}-${run}`;
          return { args: ["cp", `${pod}:tree`, path], check: treeMatches(path) };
        },
      },
    ];
    const clients: { name: "kubexec" | "kubectl"; command: string[] }[] = [
      { name: "kubexec", command: kubexecCommand },
    ];
    if (kubectlPath) clients.push({ name: "kubectl", command: [kubectlPath] });
    const rows: CpRow[] = [];
    for (const scenario of scenarios) {
      const who: Who[] = [...clients.map((client) => client.name)];
      if (scenario.reference) who.push("reference");
      /** The command of `name`'s run `run`, and the check of what it copied. */
      const attempt = (name: Who, run: number) => {
        if (name === "reference") {
          const copy = scenario.reference!(run);
          return {
            command: referenceCommand(copy),
            check: async () => {
              await copy.check();
              await Deno.remove(copy.into, { recursive: true });
            },
          };
        }
        const client = clients.find((candidate) => candidate.name === name)!;
        const { args: [verb, ...rest], check } = scenario.prepare(name, run);
        const extra = name === "kubexec" ? scenario.extraArgs?.kubexec ?? [] : [];
        return {
          command: [...client.command, "--kubeconfig", kubeconfig, verb, ...extra, ...rest],
          check,
        };
      };
      const times: Record<Who, number[]> = { kubexec: [], kubectl: [], reference: [] };
      const busyTimes: Record<Who, number[]> = { kubexec: [], kubectl: [], reference: [] };
      // Run -1 is a warm-up, checked but not counted: on the fake API server (Deno) the rows ran
      // on before, the first transfer of a kind was slower while V8 compiled the server's paths;
      // on the Go server it still puts the source files in the page cache for every participant.
      for (let run = -1; run < runs; run++) {
        // Rotate who goes first, so caches and the other sessions' load favour no one.
        const shift = ((run % who.length) + who.length) % who.length;
        const order = [...who.slice(shift), ...who.slice(0, shift)];
        for (const name of order) {
          const { command, check } = attempt(name, run);
          // The copies before this one (and their removal) leave dirty pages and discards that
          // the kernel writes back while the next copy runs; flush them first, untimed.
          await new Deno.Command("sync").output();
          const { seconds, busy } = await timed(command);
          await check();
          if (run < 0) continue;
          times[name].push(seconds);
          if (busy !== undefined) busyTimes[name].push(busy);
          options.onRun?.(scenario.name, name, seconds);
        }
      }
      rows.push({
        name: scenario.name,
        kubexec: median(times.kubexec),
        kubectl: kubectlPath ? median(times.kubectl) : undefined,
        unit: "s",
        kubexecRuns: times.kubexec,
        kubectlRuns: times.kubectl,
        ...(scenario.reference ? { referenceRuns: times.reference, goal: 1 / 1.5 } : {}),
        ...(scenario.reference && busyTimes.kubexec.length ? { busy: busyTimes } : {}),
      });
    }
    return rows;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) {
  const { startBenchServer, writeBenchKubeconfig } = await import("./bench_server.ts");
  const { testPki } = await import("../tests/support/pki.ts");
  const runs = Number(Deno.args[0] ?? "3");
  const fileBytes = Number(Deno.args[1] ?? "1024") * MIB;
  const pki = await testPki();
  const dir = await Deno.makeTempDir({ prefix: "kubexec-bench-cp-server-" });
  const server = await startBenchServer(dir, pki.server.certFile, pki.server.keyFile);
  try {
    const kubeconfig = `${dir}/kubeconfig.yaml`;
    await writeBenchKubeconfig(kubeconfig, server, pki.ca.certFile, "bench-token");
    const rows = await cpRows(`${server.podsDir}/default/cp-bench`, kubeconfig, {
      runs,
      fileBytes,
      onRun: (row, client, seconds) =>
        // deno-lint-ignore no-console
        console.error(`${row}: ${client} ${seconds.toFixed(2)}s`),
    });
    const format = (value: number | undefined) => value === undefined ? "-" : value.toFixed(2);
    const lines = [
      "| scenario | kubexec (s) | kubectl (s) | the two tars alone (s) | kubectl / kubexec |",
      "| --- | --- | --- | --- | --- |",
      ...rows.map((row) => {
        const ratio = row.kubectl === undefined ? "-" : (row.kubectl / row.kubexec).toFixed(2);
        const tars = row.referenceRuns?.length ? median(row.referenceRuns) : undefined;
        return `| ${row.name} | ${format(row.kubexec)} | ${format(row.kubectl)} | ${
          format(tars)
        } | ${ratio} |`;
      }),
    ];
    // deno-lint-ignore no-console
    console.log(lines.join("\n"));
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
