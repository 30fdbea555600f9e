import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AddressPolicy,
  classifyAddress,
  isValidAllowEntry,
  parseAddress,
} from "./address-policy.js";

describe("classifyAddress", () => {
  const cases: [string, string][] = [
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.10", "private"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["100.128.0.1", "public"],
    ["169.254.10.20", "link-local"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["198.18.0.1", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fd00:ec2::254", "metadata"],
    ["fd12:3456::1", "private"],
    ["fc00::1", "private"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["2606:4700:4700::1111", "public"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:c0a8:0101::1", "private"], // 6to4 of 192.168.1.1
    ["[::1]", "loopback"],
    ["not-an-ip", "reserved"],
  ];
  for (const [address, category] of cases) {
    it(`${address} is ${category}`, () => assert.equal(classifyAddress(address), category));
  }

  it("parses IPv6 forms to the same bytes", () => {
    assert.deepEqual(parseAddress("::ffff:127.0.0.1"), parseAddress("0:0:0:0:0:ffff:7f00:0001"));
    assert.deepEqual(parseAddress("fd00:ec2::254"), parseAddress("fd00:0ec2:0:0:0:0:0:0254"));
  });
});

describe("AddressPolicy", () => {
  it("refuses every non-public address by default, naming it and how to allow it", () => {
    const policy = new AddressPolicy();
    assert.equal(policy.refusal("example.com", "93.184.216.34"), null);
    assert.equal(
      policy.refusal("hooks.internal", "10.0.0.5"),
      "hooks.internal (10.0.0.5) is a private address, refused by the SSRF policy; add it to `network.allow` or set `network.allowPrivateNetworks`",
    );
    assert.equal(
      policy.refusal("169.254.169.254", "169.254.169.254"),
      "169.254.169.254 is a metadata address, refused by the SSRF policy; add it to `network.allow` to use it",
    );
  });

  it("allowPrivateNetworks lifts loopback, private, link-local and CGNAT, not metadata or unspecified", () => {
    const policy = new AddressPolicy({ allowPrivateNetworks: true });
    for (const address of [
      "127.0.0.1",
      "::1",
      "10.0.0.1",
      "fd00::1",
      "169.254.1.1",
      "100.64.1.1",
    ]) {
      assert.equal(policy.refusal("h", address), null, address);
    }
    for (const address of ["169.254.169.254", "fd00:ec2::254", "0.0.0.0", "224.0.0.1"]) {
      assert.notEqual(policy.refusal("h", address), null, address);
    }
  });

  it("allows listed hosts, subdomains of a wildcard, addresses and CIDRs", () => {
    const policy = new AddressPolicy({
      allow: ["hooks.plant.local", "*.mes.plant.local", "10.20.0.0/16", "::1", "169.254.169.254"],
    });
    assert.equal(policy.refusal("HOOKS.plant.local.", "10.9.9.9"), null);
    assert.equal(policy.refusal("a.mes.plant.local", "192.168.0.1"), null);
    assert.notEqual(policy.refusal("mes.plant.local", "192.168.0.1"), null);
    assert.equal(policy.refusal("x", "10.20.3.4"), null);
    assert.equal(policy.refusal("x", "::ffff:10.20.3.4"), null);
    assert.notEqual(policy.refusal("x", "10.21.0.1"), null);
    assert.equal(policy.refusal("x", "::1"), null);
    assert.equal(policy.refusal("x", "169.254.169.254"), null);
    assert.notEqual(policy.refusal("x", "127.0.0.1"), null);
  });

  it("refuses an invalid allow-list entry, naming it", () => {
    assert.throws(
      () => new AddressPolicy({ allow: ["10.0.0.0/33"] }),
      /invalid allow-list entry "10\.0\.0\.0\/33"/,
    );
    assert.throws(() => new AddressPolicy({ allow: ["http://x"] }), /invalid allow-list entry/);
    assert.equal(isValidAllowEntry("*.plant.local"), true);
    assert.equal(isValidAllowEntry("fd00::/8"), true);
  });
});
