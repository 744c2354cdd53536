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

Deno.test("private files: never written or chmod-ed through a symlink someone planted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Another user's link in a shared directory, pointing at a file of the user's.
    await Deno.writeTextFile(`${dir}/victim.txt`, "precious\n");
    await Deno.chmod(`${dir}/victim.txt`, 0o644);
    await Deno.symlink(`${dir}/victim.txt`, `${dir}/audit.jsonl`);
    for (const mode of ["append", "truncate"] as const) {
      await assert.rejects(
        openPrivateFile(`${dir}/audit.jsonl`, mode, "audit log"),
        (error: unknown) =>
          error instanceof RecordFileError && /it is a symlink/.test(error.message),
        mode,
      );
    }
    assert.equal(await Deno.readTextFile(`${dir}/victim.txt`), "precious\n");
    assert.equal((await Deno.stat(`${dir}/victim.txt`)).mode! & 0o777, 0o644);
    // A recording the user names again is replaced, through no link.
    await Deno.writeTextFile(`${dir}/s.cast`, "old recording, longer than the new one\n");
    const file = await openPrivateFile(`${dir}/s.cast`, "truncate", "recording");
    await file.write(new TextEncoder().encode("new\n"));
    file.close();
    assert.equal(await Deno.readTextFile(`${dir}/s.cast`), "new\n");
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
    // A path whose parent is a file: the file system's error, still a RecordFileError.
    await Deno.writeTextFile(`${dir}/plain`, "");
    await assert.rejects(
      openPrivateFile(`${dir}/plain/audit.jsonl`, "append", "audit log"),
      (error: unknown) =>
        error instanceof RecordFileError && /^cannot write the audit log /.test(error.message),
    );
    const devNull = await openPrivateFile("/dev/null", "truncate", "recording");
    devNull.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
