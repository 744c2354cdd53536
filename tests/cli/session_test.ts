import assert from "node:assert/strict";
import { decideTty, goQuery, protocolsToOffer } from "../../lib/cli/session.ts";
import { execPath } from "../../lib/cli/commands/exec.ts";
import { detachable, DetachKeysError, parseDetachKeys } from "../../lib/cli/commands/attach.ts";
import { UsageError } from "../../lib/cli/command.ts";

Deno.test("exec query matches kubectl's (sorted, false booleans omitted, Go escaping)", () => {
  assert.equal(
    execPath("default", "web", {
      command: ["sh", "-c", "echo hi"],
      container: "app",
      stdin: true,
      tty: true,
    }),
    "/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=echo+hi&container=app&stdin=true&stdout=true&tty=true",
  );
  assert.equal(
    execPath("ns", "p", { command: ["date"], container: "c", stdin: false, tty: false }),
    "/api/v1/namespaces/ns/pods/p/exec?command=date&container=c&stderr=true&stdout=true",
  );
  assert.equal(goQuery([["k", "a*b(c)'!~"]]), "k=a%2Ab%28c%29%27%21~");
});

Deno.test("TTY decision follows kubectl's SetupTTY", () => {
  assert.deepEqual(decideTty({ stdin: false, tty: true, quiet: false }, true), { tty: false });
  assert.deepEqual(decideTty({ stdin: true, tty: true, quiet: false }, true), { tty: true });
  assert.deepEqual(decideTty({ stdin: true, tty: true, quiet: false }, false), {
    tty: false,
    warning: "Unable to use a TTY - input is not a terminal or the right kind of file",
  });
  assert.deepEqual(decideTty({ stdin: true, tty: true, quiet: true }, false), {
    tty: false,
    warning: undefined,
  });
});

Deno.test("--protocol offers one supported subprotocol, else the v5,v4 default", () => {
  assert.deepEqual(protocolsToOffer(""), ["v5.channel.k8s.io", "v4.channel.k8s.io"]);
  assert.deepEqual(protocolsToOffer("base64.channel.k8s.io"), ["base64.channel.k8s.io"]);
  assert.throws(() => protocolsToOffer("v3.channel.k8s.io"), UsageError);
});

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += new TextDecoder().decode(chunk);
  return text;
}

function chunks(...parts: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(parts.map((part) => new TextEncoder().encode(part)));
}

Deno.test("detach keys parse like docker's and end stdin when typed", async () => {
  assert.deepEqual([...parseDetachKeys("ctrl-p,ctrl-q")], [16, 17]);
  assert.deepEqual([...parseDetachKeys("ctrl-a,d")], [1, 100]);
  assert.deepEqual([...parseDetachKeys("ctrl-@,ctrl-_")], [0, 31]);
  assert.throws(() => parseDetachKeys("ctrl-pp"), DetachKeysError);
  assert.throws(() => parseDetachKeys("alt-x"), DetachKeysError);
  const keys = parseDetachKeys("ctrl-p,ctrl-q");
  let detached = 0;
  assert.equal(
    await drain(detachable(chunks("ls\n\x10", "\x11after"), keys, () => detached++)),
    "ls\n",
  );
  assert.equal(detached, 1);
  assert.equal(await drain(detachable(chunks("a\x10b\x10\x10\x11c"), keys)), "a\x10b\x10");
  assert.equal(await drain(detachable(chunks("no keys here"), keys)), "no keys here");
  assert.equal(await drain(detachable(chunks("end\x10"), keys)), "end\x10");
});
