/**
 * The network checks' less common failures: a name lookup that never answers or returns nothing,
 * a proxy that never answers CONNECT, a "proxy" that answers with something that is not HTTP, and
 * an https proxy whose own certificate is not trusted.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startSilentServer } from "../support/transport_server.ts";
import { checkDns, checkProxy, firstHop } from "../../lib/doctor/network.ts";
import { connectTcp } from "../../lib/transport/tcp.ts";
import { parseProxyUrl } from "../../lib/transport/proxy.ts";
import { testPki } from "../support/pki.ts";
import { startConnectProxy } from "../support/transport_proxies.ts";
import { startRefusingProxy } from "./fixtures.ts";

const SERVER = new URL("https://api.example.test:6443");

Deno.test("checkDns: a lookup that never answers times out; an empty answer fails", async () => {
  const hop = firstHop(SERVER, undefined);
  const silent = await checkDns(hop, { timeoutMs: 50, lookup: () => new Promise(() => {}) });
  assert.equal(silent.status, "fail");
  assert.match(silent.summary, /lookup timed out/);
  assert.match(silent.cause!, /did not answer in time/);
  const empty = await checkDns(hop, { lookup: () => Promise.resolve([]) });
  assert.equal(empty.status, "fail");
  assert.match(empty.summary, /no such host/);
  const proxied = firstHop(SERVER, parseProxyUrl("http://proxy.example.test:3128"));
  const viaProxy = await checkDns(proxied, { lookup: () => Promise.reject(new Error("nx")) });
  assert.match(viaProxy.summary, /proxy\.example\.test \(the proxy\)/);
  assert.match(viaProxy.fix!, /proxy URL/);
});

async function proxyResult(proxyUrl: string, tls = {}) {
  const route = parseProxyUrl(proxyUrl);
  const conn = await connectTcp(route.url.hostname, Number(route.url.port));
  return (await checkProxy(conn, { route, server: SERVER, tls, timeoutMs: 200 })).result;
}

Deno.test("checkProxy: a proxy that never answers CONNECT times out", async () => {
  await using silent = await startSilentServer();
  const port = silent.port;
  {
    const result = await proxyResult(`http://127.0.0.1:${port}`);
    assert.equal(result.status, "fail");
    assert.match(result.summary, /no answer in time/);
    assert.match(result.fix!, /really is a http proxy/);
  }
});

Deno.test("checkProxy: something that is not a proxy is named as such", async () => {
  const proxy = await startRefusingProxy(0, "", "SSH-2.0-OpenSSH_9.6\r\n\r\n");
  try {
    const result = await proxyResult(proxy.url);
    assert.equal(result.status, "fail");
    assert.match(result.cause!, /does not speak http as expected/);
  } finally {
    await proxy.close();
  }
});

Deno.test("checkProxy: an https proxy with an untrusted certificate", async () => {
  const pki = await testPki();
  const proxy = await startConnectProxy({
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
  });
  try {
    const result = await proxyResult(proxy.url.href, { caPem: pki.otherCa.certPem });
    assert.equal(result.status, "fail");
    assert.match(result.summary, /signed by unknown authority/);
    assert.match(result.cause!, /https proxy's own certificate is not trusted/);
  } finally {
    await proxy.close();
  }
});
