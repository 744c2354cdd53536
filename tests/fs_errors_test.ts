import assert from "node:assert/strict";
import {
  goReason,
  RESERVED_PATH_REASON,
  reservedPath,
  reservedPathHint,
} from "../lib/fs_errors.ts";

const refusal = (path: string) =>
  new Deno.errors.NotCapable(
    `Requires all access to "${path}", run again with the --allow-all flag`,
  );

Deno.test("fs errors: Go's reasons for the common failures", () => {
  assert.equal(goReason(new Deno.errors.NotFound("x")), "no such file or directory");
  assert.equal(goReason(new Deno.errors.PermissionDenied("x")), "permission denied");
  assert.equal(goReason(new Deno.errors.IsADirectory("x")), "is a directory");
  assert.equal(goReason(new Deno.errors.NotADirectory("x")), "not a directory");
  assert.equal(goReason(new Error("other")), "other");
  // Any other system error: libc's words, as Go prints them, without Rust's "(os error N)".
  assert.equal(
    goReason(new Error("No space left on device (os error 28)")),
    "no space left on device",
  );
  assert.equal(goReason(new Error("Read-only file system (os error 30)")), "read-only file system");
  assert.equal(goReason("text"), "text");
});

Deno.test("fs errors: a path Deno reserves is named, with a hint that fits it", () => {
  assert.equal(reservedPath(refusal('/dev/shm/a "b"')), '/dev/shm/a "b"');
  assert.equal(goReason(refusal("/sys/x")), RESERVED_PATH_REASON);
  assert.match(reservedPathHint(refusal("/dev/shm/k"))!, /use a path in another directory$/);
  for (const path of ["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/1"]) {
    assert.match(reservedPathHint(refusal(path))!, /kubexec exec POD -- cat FILE/, path);
  }
  for (const path of ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]) {
    assert.match(reservedPathHint(refusal(path))!, /cp <\(cat\) POD:FILE/, path);
  }
  // Another missing permission is not this case, and not every error is a refusal.
  const read = new Deno.errors.NotCapable(
    'Requires read access to "/x", run again with the --allow-read flag',
  );
  assert.equal(reservedPath(read), undefined);
  assert.equal(reservedPathHint(read), undefined);
  assert.equal(goReason(read), "permission denied (Deno --allow-read)");
  assert.equal(
    reservedPath(new Deno.errors.NotFound('Requires all access to "/x", run again')),
    undefined,
  );
});

Deno.test({
  name: "fs errors: Deno's own refusal of a /proc path is recognised",
  // Only a process without --allow-all is refused; `deno task test` runs with scoped permissions.
  ignore: Deno.build.os !== "linux" ||
    Deno.permissions.querySync({ name: "ffi" }).state === "granted",
  fn: async () => {
    const error = await Deno.readTextFile("/proc/self/status").then(() => undefined, (e) => e);
    assert.equal(reservedPath(error), "/proc/self/status");
  },
});
