/**
 * The root of kubexec's command tree.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { optionsCommand } from "./app.ts";
import { versionCommand } from "./commands/version.ts";
import { execCommand } from "./commands/exec.ts";
import { attachCommand } from "./commands/attach.ts";
import { configCommand } from "./commands/config.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { completionCommand } from "./commands/completion.ts";
import { completeCommand } from "./commands/complete.ts";
import { cpCommand } from "./commands/cp.ts";
import { portForwardCommand } from "./commands/port_forward.ts";
import { playCommand } from "./commands/play.ts";

/** Every top-level command, in help order. */
export const rootCommand: Command = {
  name: "kubexec",
  short: "",
  long: `kubexec runs commands in, attaches to, forwards ports of and copies files from containers,
over the Kubernetes API server's WebSocket endpoints, with the credentials of your kubeconfig.

 Find more information at: https://github.com/kubexec/kubexec`,
  usage: "[flags] [options]",
  subcommands: [
    execCommand,
    attachCommand,
    portForwardCommand,
    cpCommand,
    configCommand,
    playCommand,
    doctorCommand,
    completionCommand,
    versionCommand,
    optionsCommand,
    completeCommand(() => rootCommand),
  ],
};
