import assert from "node:assert/strict";
import {
  ConnectionLostError,
  formatDuration,
  ProtocolError,
  RemoteStatusError,
  SessionLimitError,
} from "../../lib/stream/errors.ts";

Deno.test("errors are named, carry their facts and the exit code the design assigns", () => {
  const lost = new ConnectionLostError({
    cause: "closed-without-status",
    closeCode: 1001,
    closeReason: "going away",
  });
  assert.equal(lost.name, "ConnectionLostError");
  assert.equal(lost.exitCode, 255);
  assert.equal(
    lost.message,
    "connection to the server was lost before the command finished: the server closed the " +
      "stream (code 1001: going away) without sending the command's status",
  );
  assert.equal(
    new ConnectionLostError({ cause: "closed-without-status", closeCode: 1006 }).message,
    "connection to the server was lost before the command finished: the connection dropped " +
      "without a WebSocket close (code 1006)",
  );
  const reset = new Error("connection reset by peer");
  const readFailed = new ConnectionLostError({ cause: "read-error", readError: reset });
  assert.equal(
    readFailed.message,
    "connection to the server was lost before the command finished: connection reset by peer",
  );
  assert.equal(readFailed.cause, reset);
  assert.match(
    new ConnectionLostError({ cause: "read-error", readError: "odd" }).message,
    /finished: odd$/,
  );
  assert.equal(
    new ConnectionLostError({ cause: "closed-without-status" }).message,
    "connection to the server was lost before the command finished",
  );
  const silent = new ConnectionLostError({ cause: "no-pong", silentMs: 61000 });
  assert.equal(silent.message, "connection to the server was lost: no pong from the server in 61s");
  assert.equal(silent.lossCause, "no-pong");

  assert.equal(new ProtocolError("x", { channel: 3 }).exitCode, 1);
  assert.equal(new ProtocolError("x").name, "ProtocolError");
  const remote = new RemoteStatusError({ status: "Failure" });
  assert.equal(remote.message, "the server reported a failure without a message");
  assert.equal(remote.name, "RemoteStatusError");

  const idle = new SessionLimitError("idle-timeout", 1500);
  assert.equal(idle.message, "session ended: no input or output for 1.5s (idle timeout)");
  assert.equal(idle.exitCode, 1);
  assert.equal(
    new SessionLimitError("max-session", 3_600_000).message,
    "session ended: maximum session duration of 3600s reached",
  );
  assert.equal(formatDuration(250), "250ms");
});
