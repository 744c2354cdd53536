/**
 * The legacy port-forward protocol keeps no received data once it is written to the local side,
 * however long the local upload stays open (it used to race every message against the upload,
 * which held them all). Run in a child process with V8's `gc()` exposed, counting weak references.
 */
import assert from "node:assert/strict";

Deno.test("port-forward legacy: received messages are not retained while the upload stays open", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--v8-flags=--expose-gc",
      new URL("./portforward_legacy_retention_probe.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert.equal(output.code, 0, text.decode(output.stderr));
  const { received, retained } = JSON.parse(text.decode(output.stdout));
  assert.equal(received, 64);
  // The message being handled may still be referenced; none of the earlier ones.
  assert.ok(retained <= 1, `${retained} of ${received} messages still reachable`);
});
