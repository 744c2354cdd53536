import assert from "node:assert/strict";
import { FileSpecError } from "../../lib/cp/errors.ts";
import {
  cleanRemotePath,
  joinRemotePath,
  parseCopySpec,
  planCopy,
  remoteArchivePrefix,
  remoteBaseName,
  remoteDirName,
} from "../../lib/cp/file_spec.ts";

Deno.test("file spec: kubectl's [[namespace/]pod:]path rules", () => {
  assert.deepEqual(parseCopySpec("web-0:/var/log"), { pod: "web-0", path: "/var/log" });
  assert.deepEqual(parseCopySpec("prod/web-0:/var/log"), {
    namespace: "prod",
    pod: "web-0",
    path: "/var/log",
  });
  assert.deepEqual(parseCopySpec("./local/file"), { path: "./local/file" });
  assert.deepEqual(parseCopySpec("web-0:"), { pod: "web-0", path: "" });
  assert.deepEqual(parseCopySpec("web-0:a:b"), { pod: "web-0", path: "a:b" });
  const message = "filespec must match the canonical format: [[namespace/]pod:]file/path";
  assert.throws(() => parseCopySpec(":/x"), new FileSpecError(message));
  assert.throws(() => parseCopySpec("a/b/c:/x"), new FileSpecError(message));
});

Deno.test("file spec: Windows drive paths are local, never pod:path", () => {
  assert.deepEqual(parseCopySpec("C:\\Users\\me\\x.txt", { windows: false }), {
    path: "C:\\Users\\me\\x.txt",
  });
  assert.deepEqual(parseCopySpec("D:/data", { windows: false }), { path: "D:/data" });
  assert.deepEqual(parseCopySpec("c:/data", { windows: true }), { path: "c:/data" });
  // A lower-case single-letter pod name is valid on Linux, as kubectl reads it.
  assert.deepEqual(parseCopySpec("c:/data", { windows: false }), { pod: "c", path: "/data" });
  assert.equal(planCopy("C:\\tmp\\x", "web-0:/tmp", { windows: true }).direction, "upload");
});

Deno.test("file spec: planCopy decides the direction with kubectl's errors", () => {
  assert.deepEqual(planCopy("ns/web:/etc/hosts", "./hosts"), {
    direction: "download",
    localPath: "./hosts",
    remote: { namespace: "ns", pod: "web", path: "/etc/hosts" },
  });
  assert.equal(planCopy("./site", "web:/srv").direction, "upload");
  assert.throws(() => planCopy("a:/x", "b:/y"), {
    message: "one of src or dest must be a local file specification",
  });
  assert.throws(() => planCopy("a:", "./y"), { message: "filepath can not be empty" });
  assert.throws(() => planCopy("./x", "./y"), {
    message: "one of src or dest must be a remote file specification",
  });
});

Deno.test("file spec: remote path arithmetic matches Go's path package and kubectl's prefix", () => {
  assert.equal(cleanRemotePath("/var//log/./app/"), "/var/log/app");
  assert.equal(cleanRemotePath("a/../../b"), "../b");
  assert.equal(cleanRemotePath("/../x"), "/x");
  assert.equal(cleanRemotePath(""), ".");
  assert.equal(remoteBaseName("/usr/share/nginx/"), "nginx");
  assert.equal(remoteBaseName("/"), "/");
  assert.equal(remoteDirName("/usr/share/nginx"), "/usr/share");
  assert.equal(remoteDirName("/x"), "/");
  assert.equal(remoteDirName("x"), ".");
  assert.equal(joinRemotePath("/srv", "site"), "/srv/site");
  assert.equal(joinRemotePath("/srv", "."), "/srv");
  assert.equal(remoteArchivePrefix("/var/log/app/"), "var/log/app");
  assert.equal(remoteArchivePrefix("../../etc/passwd"), "etc/passwd");
  assert.equal(remoteArchivePrefix("/"), "");
  assert.equal(remoteArchivePrefix(".."), "");
  // GNU tar drops everything up to the last `..`: these are the names it writes.
  assert.equal(remoteArchivePrefix("rem/d/../d/f"), "d/f");
  assert.equal(remoteArchivePrefix("/a/../b/./c/../c/x"), "c/x");
  assert.equal(remoteArchivePrefix("x/.."), "");
});
