/**
 * IP and CIDR parsing with Go's `net.ParseIP` / `ParseCIDR` semantics.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cidrContains, ipEqual, isLoopback, parseCidr, parseIp } from "../../lib/transport/ip.ts";

Deno.test("parseIp accepts IPv4, IPv6 forms and maps ::ffff:a.b.c.d to IPv4", () => {
  assert.deepEqual(parseIp("10.1.2.3"), Uint8Array.of(10, 1, 2, 3));
  assert.deepEqual(parseIp("0.0.0.0"), Uint8Array.of(0, 0, 0, 0));
  assert.equal(parseIp("::1")?.length, 16);
  assert.equal(parseIp("2001:db8::")?.[3], 0xb8);
  assert.deepEqual(parseIp("::ffff:10.1.2.3"), Uint8Array.of(10, 1, 2, 3));
  assert.deepEqual(parseIp("1:2:3:4:5:6:7:8")?.[15], 8);
  assert.deepEqual(parseIp("::1.2.3.4")?.[12], 1);
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      // Leading zeros, which Go (and so kubectl's NO_PROXY matching) refuses.
      "192.000.2.1",
      "01.2.3.4",
      "256.1.1.1",
      "1.2.3.a",
      "a::b::c",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "host",
      "fe80::1%eth0",
    ]
  ) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

Deno.test("CIDR containment, IPv4-mapped blocks, loopback", () => {
  const v4 = parseCidr("10.0.0.0/8")!;
  assert.ok(cidrContains(v4, parseIp("10.255.0.1")!));
  assert.ok(!cidrContains(v4, parseIp("11.0.0.1")!));
  assert.ok(!cidrContains(v4, parseIp("::1")!));
  const host = parseCidr("192.168.1.7/32")!;
  assert.ok(cidrContains(host, parseIp("192.168.1.7")!));
  assert.ok(!cidrContains(host, parseIp("192.168.1.8")!));
  const v6 = parseCidr("fd00::/8")!;
  assert.ok(cidrContains(v6, parseIp("fd12:3456::1")!));
  assert.ok(cidrContains(parseCidr("::ffff:10.0.0.0/104")!, parseIp("10.1.1.1")!));
  assert.equal(parseCidr("10.0.0.0/33"), undefined);
  assert.equal(parseCidr("10.0.0.0"), undefined);
  assert.equal(parseCidr("10.0.0.0/x"), undefined);
  assert.ok(ipEqual(parseIp("::ffff:1.2.3.4")!, parseIp("1.2.3.4")!));
  assert.ok(isLoopback(parseIp("127.1.2.3")!));
  assert.ok(isLoopback(parseIp("::1")!));
  assert.ok(!isLoopback(parseIp("::2")!));
});
