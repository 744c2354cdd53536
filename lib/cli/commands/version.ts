/**
 * `kubexec version`: kubexec's version, the Deno runtime and the git commit when stamped.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { writeText } from "../io.ts";
import { versionInfo } from "../../version.ts";
import { CommandError } from "../command.ts";

/** The `version` command. */
export const versionCommand: Command = {
  name: "version",
  short: "Print the client version information",
  long: "Print the client version information for the current context.",
  usage: "version [flags] [options]",
  examples: `  # Print the client version
  kubexec version

  # Print it as JSON
  kubexec version -o json`,
  flags: [
    { name: "output", short: "o", type: "string", usage: "One of 'yaml' or 'json'." },
    {
      name: "client",
      type: "bool",
      default: true,
      usage: "If true, shows client version only (kubexec never contacts the server here).",
    },
  ],
  run: async ({ flags, io }) => {
    const info = versionInfo();
    const output = flags.string("output");
    const document = {
      clientVersion: {
        gitVersion: `v${info.version}`,
        gitCommit: info.gitCommit,
        denoVersion: info.deno,
        platform: info.platform,
      },
    };
    if (output === "json") {
      await writeText(io.stdout, `${JSON.stringify(document, null, 2)}\n`);
    } else if (output === "yaml") {
      const c = document.clientVersion;
      await writeText(
        io.stdout,
        `clientVersion:\n  denoVersion: ${c.denoVersion}\n  gitCommit: ${c.gitCommit}\n  gitVersion: v${info.version}\n  platform: ${c.platform}\n`,
      );
    } else if (output === "") {
      await writeText(
        io.stdout,
        `Client Version: v${info.version}\nGit Commit: ${info.gitCommit}\nDeno Version: ${info.deno}\nPlatform: ${info.platform}\n`,
      );
    } else {
      // kubectl's words, without a usage line.
      throw new CommandError(`--output must be 'yaml' or 'json'`);
    }
    return 0;
  },
};
