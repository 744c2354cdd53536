/**
 * The root of kubexec's command tree.
 *
 * Every command is a {@linkcode lazyCommand} stub: an invocation imports only the module of the
 * command it runs, so `exec` does not pay for the SPDY header compression of `port-forward`
 * (`node:zlib`), the hashing of `cp` (`node:crypto`) or the resolver of `doctor` (`node:dns`).
 * Measured with `deno run` on a 2-core machine: `exec -- true` evaluated 130 modules before and
 * took about 90 ms; see docs/performance.md for the figures after.
 *
 * @module
 */
import { type Command, lazyCommand } from "./command.ts";
import { optionsCommand } from "./app.ts";

/** Every top-level command, in help order. */
export const rootCommand: Command = {
  name: "kubexec",
  short: "",
  long: `kubexec runs commands in, attaches to, forwards ports of and copies files from containers,
over the Kubernetes API server's WebSocket endpoints, with the credentials of your kubeconfig.

 Find more information at: https://github.com/kubexec/kubexec`,
  usage: "[flags] [options]",
  subcommands: [
    lazyCommand(
      "exec",
      "Execute a command in a container",
      async () => (await import("./commands/exec.ts")).execCommand,
      { connects: true },
    ),
    lazyCommand(
      "attach",
      "Attach to a running container",
      async () => (await import("./commands/attach.ts")).attachCommand,
      { connects: true },
    ),
    lazyCommand(
      "port-forward",
      "Forward one or more local ports to a pod",
      async () => (await import("./commands/port_forward.ts")).portForwardCommand,
      { connects: true },
    ),
    lazyCommand(
      "cp",
      "Copy files and directories to and from containers",
      async () => (await import("./commands/cp.ts")).cpCommand,
      { connects: true },
    ),
    lazyCommand(
      "config",
      "Display kubeconfig settings",
      async () => (await import("./commands/config.ts")).configCommand,
    ),
    lazyCommand(
      "play",
      "Replay a session recorded with --record",
      async () => (await import("./commands/play.ts")).playCommand,
    ),
    lazyCommand(
      "doctor",
      "Diagnose the connection to the cluster, step by step",
      async () => (await import("./commands/doctor.ts")).doctorCommand,
      { connects: true },
    ),
    lazyCommand(
      "completion",
      "Output shell completion code for the specified shell (bash, zsh, fish, or powershell)",
      async () => (await import("./commands/completion.ts")).completionCommand,
    ),
    lazyCommand(
      "version",
      "Print the client version information",
      async () => (await import("./commands/version.ts")).versionCommand,
    ),
    optionsCommand,
    lazyCommand(
      "__complete",
      "Complete a command line (called by the completion scripts)",
      async () => (await import("./commands/complete.ts")).completeCommand(() => rootCommand),
      { hidden: true, connects: true },
    ),
  ],
};
