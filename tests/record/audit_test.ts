import assert from "node:assert/strict";
import { AuditLog, type AuditRecord } from "../../lib/record/audit.ts";
import { openPrivateFile, RecordFileError } from "../../lib/record/files.ts";

function record(pod: string): AuditRecord {
  return {
    started: "2026-01-01T00:00:00.000Z",
    ended: "2026-01-01T00:00:01.000Z",
    localUser: "ops",
    verb: "exec",
    argv: ["exec", pod, "--", "date"],
    pod,
    bytesIn: 3,
    bytesOut: 0,
    exitCode: 0,
    endedBy: "status",
  };
}

Deno.test("audit log appends one JSON line per record to a 0600 file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/audit.jsonl`;
    await Deno.writeTextFile(path, '{"earlier":true}\n', { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    const log = await AuditLog.open(path);
    await log.append(record("a"));
    await log.append(record("b"));
    log.close();
    log.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((line) => line.pod ?? "earlier"), ["earlier", "a", "b"]);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, "mode tightened to 0600");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("private files: created 0600; unwritable and existing-when-new are RecordFileErrors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await openPrivateFile(`${dir}/s.cast`, "create-new", "recording");
    file.close();
    assert.equal((await Deno.stat(`${dir}/s.cast`)).mode! & 0o777, 0o600);
    await assert.rejects(
      openPrivateFile(`${dir}/s.cast`, "create-new", "recording"),
      (error: unknown) =>
        error instanceof RecordFileError && error.path === `${dir}/s.cast` &&
        /^cannot write the recording /.test(error.message),
    );
    await assert.rejects(
      openPrivateFile(`${dir}/missing/audit.jsonl`, "append", "audit log"),
      /cannot write the audit log .*missing\/audit\.jsonl: /,
    );
    const devNull = await openPrivateFile("/dev/null", "truncate", "recording");
    devNull.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
