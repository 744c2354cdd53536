import assert from "node:assert/strict";
import { decodeStatusJson, decodeStatusText, exitCodeMessage } from "../../lib/stream/status.ts";
import { ProtocolError, RemoteStatusError } from "../../lib/stream/errors.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("Success decodes to exit 0", () => {
  const outcome = decodeStatusJson(bytes('{"metadata":{},"status":"Success"}'));
  assert.equal(outcome.exitCode, 0);
  assert.equal(outcome.status.status, "Success");
});

Deno.test("NonZeroExitCode with an ExitCode cause decodes to that exit code (PROTOCOL §13)", () => {
  const outcome = decodeStatusJson(bytes(
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: ' +
      'command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":' +
      '[{"reason":"ExitCode","message":"3"}]}}',
  ));
  assert.equal(outcome.exitCode, 3);
  assert.equal(exitCodeMessage(outcome.exitCode), "command terminated with exit code 3");
});

Deno.test("the ExitCode cause is found among other causes", () => {
  const outcome = decodeStatusJson(bytes(JSON.stringify({
    status: "Failure",
    reason: "NonZeroExitCode",
    details: {
      causes: [{ reason: "Other", message: "x" }, { reason: "ExitCode", message: "255" }],
    },
  })));
  assert.equal(outcome.exitCode, 255);
});

Deno.test("other failures are RemoteStatusError carrying the server's message and reason", () => {
  const message = "Internal error occurred: Internal error occurred: error executing command in " +
    'container: failed to exec in container: exec: "nope": executable file not found in $PATH';
  const payload = JSON.stringify({
    metadata: {},
    status: "Failure",
    message,
    reason: "InternalError",
    details: { causes: [{ message: "inner" }] },
    code: 500,
  });
  assert.throws(() => decodeStatusJson(bytes(payload)), (error: unknown) => {
    assert.ok(error instanceof RemoteStatusError);
    assert.equal(error.message, message);
    assert.equal(error.reason, "InternalError");
    assert.equal(error.code, 500);
    assert.equal(error.exitCode, 1);
    return true;
  });
});

Deno.test("malformed statuses are ProtocolErrors with client-go's wording", () => {
  const cases: [string, RegExp][] = [
    ["not json", /^error stream protocol error: .* in "not json"$/],
    ["[1]", /error stream protocol error: not a JSON object in "\[1\]"/],
    ['{"status":"Weird"}', /^error stream protocol error: unknown error$/],
    ['{"status":"Failure","reason":"NonZeroExitCode"}', /details must be set/],
    ['{"status":"Failure","reason":"NonZeroExitCode","details":{}}', /no ExitCode cause given/],
    [
      '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"256"}]}}',
      /invalid exit code value "256"/,
    ],
    [
      '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"-1"}]}}',
      /invalid exit code value "-1"/,
    ],
    [
      '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode"}]}}',
      /invalid exit code value ""/,
    ],
  ];
  for (const [payload, pattern] of cases) {
    assert.throws(() => decodeStatusJson(bytes(payload)), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, payload);
      assert.match(error.message, pattern);
      assert.equal(error.channel, 3);
      return true;
    });
  }
});

Deno.test("a NonZeroExitCode status claiming exit 0 is refused: 0 needs an explicit Success", () => {
  const payload = JSON.stringify({
    status: "Failure",
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: "0" }] },
  });
  assert.throws(() => decodeStatusJson(bytes(payload)), /invalid exit code value "0"/);
});

Deno.test("v1 status text: empty is nothing, any text is the server's error", () => {
  assert.equal(decodeStatusText(new Uint8Array()), undefined);
  assert.throws(
    () => decodeStatusText(bytes("command terminated with non-zero exit code: exit status 2\n")),
    (error: unknown) => {
      assert.ok(error instanceof RemoteStatusError);
      assert.equal(error.message, "command terminated with non-zero exit code: exit status 2");
      assert.equal(error.reason, undefined);
      return true;
    },
  );
});
