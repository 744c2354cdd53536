/**
 * `kubexec doctor [TARGET]`: checks, step by step, everything between this machine and a working
 * exec session, and prints one line per step — with the likely cause and fix under each failure.
 *
 * Output: on a terminal, `✓`/`✗`/`!`/`-` marks, coloured unless `--no-color` or `NO_COLOR`; when
 * stdout is not a terminal (a pipe, a CI log, a ticket), plain ASCII words `ok`/`FAIL`/`warn`/`skip`
 * that survive any encoding and are easy to grep. Exit code 0 when no step failed, 1 otherwise.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";
import { writeText } from "../io.ts";
import { runDoctor, type StepResult, type StepStatus } from "../../doctor/mod.ts";

/** How a status is marked, on a terminal and elsewhere. */
const MARKS: Record<StepStatus, { glyph: string; ascii: string; color: string }> = {
  ok: { glyph: "✓", ascii: "ok  ", color: "\x1b[32m" },
  warn: { glyph: "!", ascii: "warn", color: "\x1b[33m" },
  fail: { glyph: "✗", ascii: "FAIL", color: "\x1b[31m" },
  skip: { glyph: "-", ascii: "skip", color: "\x1b[2m" },
};

const RESET = "\x1b[0m";
const STEP_WIDTH = "authentication".length + 2;

/** How {@linkcode renderStep} marks lines. */
export interface RenderStyle {
  /** `✓`/`✗` marks (a terminal) rather than ASCII words. */
  glyphs: boolean;
  /** ANSI colours. */
  color: boolean;
}

/**
 * Renders one result: its line, then `cause:` and `fix:` lines for failures and warnings.
 *
 * @example
 * ```ts
 * import { renderStep } from "./doctor.ts";
 * renderStep({ step: "dns", status: "ok", summary: "127.0.0.1 is an IP address" }, { glyphs: false, color: false });
 * // "ok   dns             127.0.0.1 is an IP address\n"
 * ```
 */
export function renderStep(result: StepResult, style: RenderStyle): string {
  const mark = MARKS[result.status];
  let text = style.glyphs ? mark.glyph : mark.ascii;
  if (style.color) text = `${mark.color}${text}${RESET}`;
  const indent = " ".repeat((style.glyphs ? 2 : 5) + STEP_WIDTH);
  let out = `${text} ${result.step.padEnd(STEP_WIDTH)}${result.summary}\n`;
  if (result.status === "fail" || result.status === "warn") {
    if (result.cause) out += `${indent}cause: ${result.cause}\n`;
    if (result.fix) out += `${indent}fix:   ${result.fix}\n`;
  }
  return out;
}

/** The `doctor` command. */
export const doctorCommand: Command = {
  name: "doctor",
  short: "Diagnose the connection to the cluster, step by step",
  long: `Check everything between this machine and a working exec session, one line per step:
kubeconfig, credentials (exec plugins included), DNS, TCP, proxy (CONNECT or SOCKS5), TLS (chain,
names, tls-server-name, expiry of the server and client certificates), authentication (who the
server thinks you are), authorization (get and create on pods/exec, pods/attach and
pods/portforward in the namespace) and, given a pod, the WebSocket subprotocols the server accepts
for exec. Each failure names its likely cause and fix.

 Exit status is 0 when no step failed and 1 otherwise. On a terminal steps are marked ✓ ✗ ! -,
elsewhere ok FAIL warn skip; -o json prints the results as one JSON document instead.`,
  usage: "doctor [POD | TYPE/NAME] [-c CONTAINER] [flags] [options]",
  examples: `  # Check the current context
  kubexec doctor

  # Also try the exec upgrade on pod web-0 (runs 'true' in its default container)
  kubexec doctor web-0

  # Check another context and namespace, the first pod of a deployment
  kubexec doctor --context prod -n shop deploy/web`,
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      usage: "Output format: 'json' prints every step's result as one JSON document at the end",
    },
    {
      name: "container",
      short: "c",
      type: "string",
      usage: "Container for the exec check. If omitted, kubectl's default container is used",
    },
  ],
  run: async ({ args, flags, global, io }) => {
    if (args.length > 1) {
      throw new UsageError(`doctor takes at most one pod or TYPE/NAME, got ${args.length}`);
    }
    const output = flags.string("output");
    if (output !== "" && output !== "json") throw new UsageError("--output must be 'json'");
    const style = { glyphs: io.stdoutIsTerminal, color: global.color };
    const results: StepResult[] = [];
    for await (
      const result of runDoctor({
        overrides: global.overrides,
        env: io.env,
        target: args[0],
        container: flags.string("container"),
        logger: global.logger,
        transport: global.transport,
        strictCaTrust: global.strictCaTrust,
        stdinIsTerminal: io.stdinIsTerminal,
        pluginStdin: io.stdinIsTerminal ? "inherit" : undefined,
        pluginStderr: io.stderr,
        onWaiting: (notice) => void writeText(io.stderr, `note: ${notice}\n`),
      })
    ) {
      results.push(result);
      if (output === "") await writeText(io.stdout, renderStep(result, style));
    }
    const failed = results.filter((result) => result.status === "fail").length;
    if (output === "json") {
      await writeText(io.stdout, `${JSON.stringify({ failed, steps: results }, null, 2)}\n`);
    } else {
      await writeText(
        io.stdout,
        failed === 0
          ? "\nNo problems found.\n"
          : `\n${failed} check${failed === 1 ? "" : "s"} failed.\n`,
      );
    }
    return failed === 0 ? 0 : 1;
  },
};
