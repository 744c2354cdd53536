/**
 * Tests of finding a plugin executable on PATH like Go's `exec.LookPath`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { lookPath } from "../../lib/auth/look_path.ts";

Deno.test("lookPath: bare names are searched on PATH in order, skipping non-executables", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-lookpath-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await Deno.mkdir(`${dir}/c/login`, { recursive: true });
    await Deno.writeTextFile(`${dir}/a/login`, "#!/bin/sh\n");
    await Deno.writeTextFile(`${dir}/b/login`, "#!/bin/sh\n");
    await Deno.chmod(`${dir}/b/login`, 0o755);
    assert.equal(lookPath("login", `${dir}/c:${dir}/a:${dir}/b/`), `${dir}/b/login`);
    assert.equal(lookPath("login", `${dir}/a:${dir}/c`), undefined);
    assert.equal(lookPath("login", ""), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lookPath: relative and empty PATH entries are skipped, as Go refuses them", () => {
  const here = Deno.cwd();
  try {
    Deno.chdir("/bin");
    assert.equal(lookPath("sh", ".::bin"), undefined);
  } finally {
    Deno.chdir(here);
  }
});

Deno.test("lookPath: commands with a slash are used as given", () => {
  assert.equal(lookPath("./tools/login", "/usr/bin"), "./tools/login");
  assert.equal(lookPath("/opt/login", ""), "/opt/login");
});
