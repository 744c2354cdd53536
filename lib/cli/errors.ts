/**
 * Turns any error into what the user sees: one kubectl-shaped line, an optional `hint:` line naming
 * the likely cause and fix, and the exit code (1 for errors before or around the remote command,
 * 255 when the stream ended without a status). A stack trace only at `-v=6` and above.
 *
 * Errors opt in to richer rendering by carrying facts, not by being known here: `hint` (string),
 * `exitCode` (number) and `userMessage` (string, the kubectl-shaped first line).
 *
 * @module
 */
import { FlagError } from "./flags.ts";
import { UsageError } from "./command.ts";
import {
  CgiProxyError,
  ConnectError,
  InvalidHeaderError,
  ProxyError,
  TlsError,
  TransportTimeoutError,
} from "../transport/errors.ts";
import { ExecPluginError, OidcError } from "../auth/errors.ts";
import { RESERVED_PATH_REASON, reservedPath, reservedPathHint } from "../fs_errors.ts";

/** What to print and the code to exit with. */
export interface RenderedError {
  text: string;
  exitCode: number;
}

interface ErrorFacts {
  hint?: unknown;
  exitCode?: unknown;
  userMessage?: unknown;
}

/** kubectl's wording for failures to reach the server (client-go's `Unable to connect …`). */
function connectionMessage(error: Error): string | undefined {
  if (error instanceof ConnectError && error.failure === "refused") {
    return `The connection to the server ${error.address} was refused - did you specify the right host or port?`;
  }
  if (
    error instanceof ConnectError || error instanceof TlsError || error instanceof ProxyError ||
    error instanceof TransportTimeoutError || error instanceof ExecPluginError ||
    error instanceof OidcError || error instanceof InvalidHeaderError ||
    error instanceof CgiProxyError
  ) {
    return `Unable to connect to the server: ${error.message}`;
  }
  return undefined;
}

/**
 * Renders `error` for the terminal.
 *
 * @example
 * ```ts
 * import { renderError } from "./errors.ts";
 * renderError(new Error("boom"), { commandPath: "kubexec exec", verbosity: 0 });
 * // { text: "error: boom\n", exitCode: 1 }
 * ```
 */
export function renderError(
  error: unknown,
  context: { commandPath: string; verbosity: number; flagErrorHelp?: string },
): RenderedError {
  if (error instanceof FlagError) {
    const help = context.flagErrorHelp ?? `See '${context.commandPath} --help' for usage.`;
    return { text: `Error: ${error.message}\n${help}\n`, exitCode: 1 };
  }
  if (error instanceof UsageError) {
    return {
      text: `${
        error.cobra ? "Error" : "error"
      }: ${error.message}\nSee '${context.commandPath} -h' for help and examples\n`,
      exitCode: 1,
    };
  }
  if (error instanceof Deno.errors.BrokenPipe) {
    // The reader of our output went away (`… | head`): end quietly with 128 + SIGPIPE, as kubectl
    // and other Go programs do.
    return { text: "", exitCode: 141 };
  }
  if (!(error instanceof Error)) return { text: `error: ${String(error)}\n`, exitCode: 1 };
  const facts = error as Error & ErrorFacts;
  // Deno's own text for a path it reserves ends "run again with the --allow-all flag", which a
  // user of the compiled binary cannot do.
  const reserved = reservedPath(error);
  const first = typeof facts.userMessage === "string"
    ? facts.userMessage
    : reserved !== undefined
    ? `error: open ${reserved}: ${RESERVED_PATH_REASON}`
    : connectionMessage(error) ?? `error: ${error.message}`;
  const hint = typeof facts.hint === "string" ? facts.hint : reservedPathHint(error);
  let text = `${first}\n`;
  if (hint !== undefined && hint !== "") text += `hint: ${hint}\n`;
  if (context.verbosity >= 6 && error.stack) text += `${error.stack}\n`;
  // A failed exec plugin's `exitCode` is the plugin's, not ours: kubectl exits 1 for it.
  const exitCode = typeof facts.exitCode === "number" && !(error instanceof ExecPluginError)
    ? facts.exitCode
    : 1;
  return { text, exitCode };
}
