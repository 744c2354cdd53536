/**
 * Exit codes around the remote command follow kubectl: a failed exec credential plugin is an error
 * getting credentials (exit 1), whatever the plugin's own exit code was — even though the auth
 * error carries that code as `exitCode` for messages (found by `secrets_test.ts`, where kubexec
 * exited 3 after a plugin exited 3).
 */
import assert from "node:assert/strict";
import { renderError } from "../../lib/cli/errors.ts";
import { ExecPluginExitError } from "../../lib/auth/errors.ts";
import { ConnectionLostError } from "../../lib/stream/errors.ts";

Deno.test("exit codes: a failed exec plugin exits 1, not with the plugin's code", () => {
  for (const pluginCode of [3, 255, -1]) {
    const rendered = renderError(new ExecPluginExitError("/bin/plugin", pluginCode), {
      commandPath: "kubexec exec",
      verbosity: 0,
    });
    assert.equal(rendered.exitCode, 1);
    assert.equal(
      rendered.text,
      `Unable to connect to the server: getting credentials: exec: executable /bin/plugin failed with exit code ${pluginCode}\n`,
    );
  }
});

Deno.test("exit codes: errors that carry the CLI's exit code keep it (lost connection: 255)", () => {
  const rendered = renderError(
    new ConnectionLostError({ cause: "closed-without-status", closeCode: 1006 }),
    { commandPath: "kubexec exec", verbosity: 0 },
  );
  assert.equal(rendered.exitCode, 255);
});
