/**
 * Tests of the `tokenFile` provider: client-go's re-read period and leeway, trimming, keeping the
 * last good token, the inline-token fallback and the re-read after a 401.
 *
 * @module
 */
import assert from "node:assert/strict";
import { TokenFileError } from "../../lib/auth/errors.ts";
import { tokenFileProvider } from "../../lib/auth/token_file.ts";

async function tempTokenFile(content: string | undefined) {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-token-" });
  const path = `${dir}/token`;
  if (content !== undefined) await Deno.writeTextFile(path, content);
  return {
    path,
    write: (text: string) => Deno.writeTextFile(path, text),
    remove: () => Deno.remove(path),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const bearer = (token: string) => [["Authorization", `Bearer ${token}`]];

Deno.test("tokenFile: read, trimmed, and re-read only after period minus leeway", async () => {
  await using file = await tempTokenFile("  first\n");
  let now = 1_000_000;
  const provider = tokenFileProvider(file.path, { now: () => now });
  assert.equal(provider.description, `bearer token from file ${file.path}`);
  assert.deepEqual((await provider.get()).headers, bearer("first"));
  await file.write("second\n");
  now += 49_999;
  assert.deepEqual((await provider.get()).headers, bearer("first"), "still within 60 s - 10 s");
  now += 1;
  assert.deepEqual((await provider.get()).headers, bearer("second"), "rotated token picked up");
});

Deno.test("tokenFile: the period is injectable", async () => {
  await using file = await tempTokenFile("a");
  let now = 0;
  const provider = tokenFileProvider(file.path, { now: () => now, periodMs: 20, leewayMs: 0 });
  assert.deepEqual((await provider.get()).headers, bearer("a"));
  await file.write("b");
  now = 19;
  assert.deepEqual((await provider.get()).headers, bearer("a"));
  now = 20;
  assert.deepEqual((await provider.get()).headers, bearer("b"));
});

Deno.test("tokenFile: a failed or empty re-read keeps the last good token", async () => {
  await using file = await tempTokenFile("good");
  let now = 0;
  const logs: string[] = [];
  const provider = tokenFileProvider(file.path, {
    now: () => now,
    logger: (_level, message) => logs.push(message()),
  });
  assert.deepEqual((await provider.get()).headers, bearer("good"));
  await file.write(" \n");
  now += 60_000;
  assert.deepEqual((await provider.get()).headers, bearer("good"));
  await file.remove();
  now += 60_000;
  assert.deepEqual((await provider.get()).headers, bearer("good"));
  assert.equal(logs.length, 2);
  assert.match(logs[0], /^Unable to rotate token: read empty token from file/);
  assert.ok(logs.every((line) => !line.includes("good")));
  await file.write("recovered");
  assert.deepEqual((await provider.get()).headers, bearer("recovered"));
});

Deno.test("tokenFile: a missing file without any token is an error naming the file", async () => {
  await using file = await tempTokenFile(undefined);
  await assert.rejects(tokenFileProvider(file.path).get(), (error: unknown) => {
    assert.ok(error instanceof TokenFileError);
    assert.equal(error.path, file.path);
    assert.equal(
      error.message,
      `failed to read token file "${file.path}": open ${file.path}: no such file or directory`,
    );
    return true;
  });
});

Deno.test("tokenFile: an empty file without any token is an error", async () => {
  await using file = await tempTokenFile("\n\t \n");
  await assert.rejects(tokenFileProvider(file.path).get(), (error: unknown) => {
    assert.ok(error instanceof TokenFileError);
    assert.equal(error.message, `read empty token from file "${file.path}"`);
    return true;
  });
});

Deno.test("tokenFile: other read errors keep their own text", async () => {
  await using file = await tempTokenFile(undefined);
  await Deno.mkdir(file.path);
  await assert.rejects(tokenFileProvider(file.path).get(), (error: unknown) => {
    assert.ok(error instanceof TokenFileError);
    assert.ok(error.message.startsWith(`failed to read token file "${file.path}": `));
    return true;
  });
});

Deno.test("tokenFile with token: the file wins when readable, the inline token otherwise", async () => {
  await using file = await tempTokenFile(undefined);
  let now = 0;
  const provider = tokenFileProvider(file.path, { fallbackToken: "inline", now: () => now });
  assert.deepEqual((await provider.get()).headers, bearer("inline"));
  await file.write("from-file");
  assert.deepEqual((await provider.get()).headers, bearer("from-file"), "no cache before a read");
  await file.remove();
  now += 120_000;
  assert.deepEqual((await provider.get()).headers, bearer("from-file"), "last good file value");
});

Deno.test("tokenFile: invalidate re-reads at once and says whether the token changed", async () => {
  await using file = await tempTokenFile("old");
  const provider = tokenFileProvider(file.path, { now: () => 0 });
  assert.deepEqual((await provider.get()).headers, bearer("old"));
  assert.equal(await provider.invalidate(), false, "same token: retrying cannot help");
  await file.write("new");
  assert.equal(await provider.invalidate(), true);
  assert.deepEqual((await provider.get()).headers, bearer("new"), "within the period still");
  await file.remove();
  assert.equal(await provider.invalidate(), false, "unreadable file");
  assert.deepEqual((await provider.get()).headers, bearer("new"));
});

Deno.test("tokenFile: concurrent reads share one file read", async () => {
  let reads = 0;
  const provider = tokenFileProvider("/virtual/token", {
    readTextFile: () => {
      reads++;
      return Promise.resolve("shared");
    },
  });
  const results = await Promise.all([provider.get(), provider.get(), provider.get()]);
  assert.deepEqual(results.map((r) => r.headers), [
    bearer("shared"),
    bearer("shared"),
    bearer("shared"),
  ]);
  assert.equal(reads, 1);
});

Deno.test("tokenFile: a kubelet-style projected token rotation (symlink swap) is picked up", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubexec-sa-" });
  try {
    // The kubelet's atomic writer: token -> ..data/token, ..data -> ..<timestamp> (swapped).
    await Deno.mkdir(`${dir}/..2026_01`);
    await Deno.writeTextFile(`${dir}/..2026_01/token`, "sa-token-1");
    await Deno.symlink("..2026_01", `${dir}/..data`);
    await Deno.symlink("..data/token", `${dir}/token`);
    let now = 0;
    const provider = tokenFileProvider(`${dir}/token`, { now: () => now });
    assert.deepEqual((await provider.get()).headers, bearer("sa-token-1"));

    await Deno.mkdir(`${dir}/..2026_02`);
    await Deno.writeTextFile(`${dir}/..2026_02/token`, "sa-token-2");
    await Deno.symlink("..2026_02", `${dir}/..data_tmp`);
    await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
    await Deno.remove(`${dir}/..2026_01`, { recursive: true });
    assert.deepEqual((await provider.get()).headers, bearer("sa-token-1"), "cached");
    now += 50_000;
    assert.deepEqual((await provider.get()).headers, bearer("sa-token-2"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
