/**
 * kubexec's entry point: runs the CLI with the process's streams and exits with its code.
 *
 * @module
 */
import { runCli } from "./lib/cli/app.ts";
import { processIo } from "./lib/cli/io.ts";
import { rootCommand } from "./lib/cli/root.ts";
import { installSignalTimers } from "./lib/cli/timers.ts";

if (import.meta.main) {
  // Timers that do not load Deno's Node.js timer layer (lib/cli/timers.ts); safe because the
  // process ends with Deno.exit below.
  installSignalTimers();
  const io = processIo();
  const code = await runCli(rootCommand, Deno.args, io);
  await io.flush?.();
  Deno.exit(code);
}
