/**
 * The kubeconfig corpus against kubectl: for every file in `corpus/` (read with `--kubeconfig`)
 * and every directory (its `KUBECONFIG` file lists the files to merge, in order), kubexec's
 * `config view` output must equal kubectl's, compared as JSON values, in every mode: redacted,
 * `--raw`, `--minify`, `--minify --raw`, `--flatten` (and the error line when kubectl fails);
 * the default YAML output (redacted and `--raw`) must equal kubectl's byte for byte.
 * When kubectl is not on PATH the comparison is skipped and the test name says so; the
 * kubectl-independent checks (everything loads, nothing secret in redacted output) always run.
 */
import assert from "node:assert/strict";
import { loadStartingConfig } from "../../lib/kubeconfig/load.ts";
import { renderJson, renderYaml, viewConfig } from "../../lib/kubeconfig/view.ts";
import { envFrom } from "./support.ts";

const CORPUS = new URL("./corpus/", import.meta.url).pathname;

interface CorpusCase {
  name: string;
  /** `--kubeconfig` for single files. */
  kubeconfig?: string;
  /** `KUBECONFIG` for merge cases. */
  list?: string;
}

function corpusCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const entry of [...Deno.readDirSync(CORPUS)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = `${CORPUS}${entry.name}`;
    if (entry.isFile) cases.push({ name: entry.name, kubeconfig: path });
    else {
      const list = Deno.readTextFileSync(`${path}/KUBECONFIG`).split("\n").filter((line) => line)
        .map((line) => `${path}/${line}`).join(":");
      cases.push({ name: `${entry.name}/`, list });
    }
  }
  return cases;
}

const MODES: string[][] = [[], ["--raw"], ["--minify"], ["--minify", "--raw"], ["--flatten"]];
const YAML_MODES: string[][] = [[], ["--raw"]];

async function kubectlAvailable(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("kubectl", {
      args: ["version", "--client", "-o", "json"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Runs kubectl with a scrubbed environment: an empty HOME, nothing else but PATH. */
/**
 * kubectl's output as kubexec shows it: without `--raw` (or `--flatten`) kubexec also hides an
 * auth-provider's tokens and client secret (docs/differences.md); every other byte must match.
 */
function withKubexecRedaction(
  view: { json?: unknown; text?: string; error?: string },
  flags: string[],
): { json?: unknown; text?: string; error?: string } {
  if (flags.includes("--raw") || flags.includes("--flatten")) return view;
  const secret = /^(\s+(?:client-secret|id-token|refresh-token|access-token): ).+$/gm;
  const json = view.json === undefined ? undefined : JSON.parse(
    JSON.stringify(
      view.json,
      (key, value) =>
        ["client-secret", "id-token", "refresh-token", "access-token"].includes(key) && value
          ? "REDACTED"
          : value,
    ),
  );
  return {
    ...view,
    ...(json === undefined ? {} : { json }),
    ...(view.text === undefined ? {} : { text: view.text.replace(secret, "$1REDACTED") }),
  };
}

async function kubectlView(
  testCase: CorpusCase,
  flags: string[],
  home: string,
  output = "json",
): Promise<{ json?: unknown; text?: string; error?: string }> {
  const env: Record<string, string> = { HOME: home, PATH: Deno.env.get("PATH") ?? "" };
  if (testCase.list) env.KUBECONFIG = testCase.list;
  const args = ["config", "view", "-o", output, ...flags];
  if (testCase.kubeconfig) args.push(`--kubeconfig=${testCase.kubeconfig}`);
  const result = await new Deno.Command("kubectl", { args, env, clearEnv: true }).output();
  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr).trim();
  if (!result.success) return { error: stderr.replace(/^error: /, "") };
  return output === "json" ? { json: JSON.parse(stdout) } : { text: stdout };
}

async function kubexecView(
  testCase: CorpusCase,
  flags: string[],
  home: string,
  output = "json",
): Promise<{ json?: unknown; text?: string; error?: string }> {
  try {
    const config = await loadStartingConfig({
      kubeconfig: testCase.kubeconfig,
      env: envFrom(testCase.list ? { KUBECONFIG: testCase.list, HOME: home } : { HOME: home }),
    });
    const view = await viewConfig(config, {
      raw: flags.includes("--raw"),
      minify: flags.includes("--minify"),
      flatten: flags.includes("--flatten"),
    });
    if (output === "yaml") return { text: renderYaml(view) };
    const text = renderJson(view);
    return { json: JSON.parse(text), text };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const cases = corpusCases();
const hasKubectl = await kubectlAvailable();

Deno.test("the corpus has at least 30 kubeconfigs, merges of two and three files among them", () => {
  assert.ok(cases.length >= 30, `only ${cases.length}`);
  const merges = cases.filter((testCase) => testCase.list?.includes(":"));
  assert.ok(merges.some((testCase) => testCase.list!.split(":").length === 2));
  assert.ok(merges.some((testCase) => new Set(testCase.list!.split(":")).size >= 3));
});

for (const testCase of cases) {
  Deno.test(`corpus/${testCase.name}: loads, and redacted output holds no secret`, async () => {
    const home = await Deno.makeTempDir();
    try {
      for (const flags of [[], ["--minify"]]) {
        const ours = await kubexecView(testCase, flags, home);
        if (ours.error !== undefined) {
          assert.match(ours.error, /^current-context must exist in order to minify$/);
          continue;
        }
        assert.ok(!ours.text!.includes("corpus-secret"), `secret in ${flags.join(" ")} output`);
      }
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });

  Deno.test({
    name: hasKubectl
      ? `corpus/${testCase.name}: config view equals kubectl's in every mode`
      : `corpus/${testCase.name}: kubectl comparison skipped: kubectl is not on PATH`,
    ignore: !hasKubectl,
    fn: async () => {
      const home = await Deno.makeTempDir();
      try {
        await Promise.all(YAML_MODES.map(async (flags) => {
          const [theirs, ours] = await Promise.all([
            kubectlView(testCase, flags, home, "yaml").then((v) => withKubexecRedaction(v, flags)),
            kubexecView(testCase, flags, home, "yaml"),
          ]);
          assert.equal(ours.text, theirs.text, `yaml ${flags.join(" ")}: output differs`);
        }));
        await Promise.all(MODES.map(async (flags) => {
          const [theirs, ours] = await Promise.all([
            kubectlView(testCase, flags, home).then((v) => withKubexecRedaction(v, flags)),
            kubexecView(testCase, flags, home),
          ]);
          const mode = flags.join(" ") || "(default)";
          if (theirs.error !== undefined) {
            assert.equal(ours.error, theirs.error, `${mode}: error differs`);
          } else {
            assert.equal(ours.error, undefined, `${mode}: kubexec failed where kubectl did not`);
            assert.deepEqual(ours.json, theirs.json, `${mode}: output differs`);
          }
        }));
      } finally {
        await Deno.remove(home, { recursive: true });
      }
    },
  });
}
