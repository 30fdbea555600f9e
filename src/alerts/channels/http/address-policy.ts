/**
 * Which network addresses an outgoing notification may connect to: the SSRF policy.
 * Loopback, private (RFC 1918, IPv6 ULA), link-local, CGNAT, unspecified, multicast,
 * reserved and cloud metadata addresses are refused unless the configuration allows
 * them explicitly, by an allow-list of hosts and CIDRs or `allowPrivateNetworks`.
 */
import { isIP } from "node:net";

/** What an address is; everything but `public` is refused by default. */
export type AddressCategory =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "unspecified"
  | "metadata"
  | "multicast"
  | "reserved";

/** The configured exceptions to the default policy. */
export interface NetworkPolicy {
  /**
   * Allow loopback, private, link-local and CGNAT addresses (for receivers inside
   * the plant network). Metadata, unspecified, multicast and reserved addresses stay
   * refused unless the allow-list names them.
   */
  readonly allowPrivateNetworks?: boolean;
  /**
   * Hosts and networks allowed whatever they resolve to: a host name (`hooks.plant.local`),
   * a wildcard for its subdomains (`*.plant.local`), an address (`10.1.2.3`, `::1`) or
   * a CIDR (`10.20.0.0/16`, `fd00::/8`).
   */
  readonly allow?: readonly string[];
}

/** The categories `allowPrivateNetworks` lifts. */
const PRIVATE_NETWORKS: ReadonlySet<AddressCategory> = new Set([
  "loopback",
  "private",
  "link-local",
  "cgnat",
]);

type Bytes = readonly number[];

interface Range {
  readonly bytes: Bytes;
  readonly prefix: number;
  readonly category: AddressCategory;
}

/** IPv4 ranges, most specific first (the first match wins). */
const IPV4_RANGES: readonly Range[] = [
  range4("169.254.169.254/32", "metadata"), // AWS, GCP, Azure, OpenStack
  range4("169.254.170.2/32", "metadata"), // AWS ECS task metadata
  range4("100.100.100.200/32", "metadata"), // Alibaba Cloud
  range4("0.0.0.0/8", "unspecified"),
  range4("10.0.0.0/8", "private"),
  range4("100.64.0.0/10", "cgnat"),
  range4("127.0.0.0/8", "loopback"),
  range4("169.254.0.0/16", "link-local"),
  range4("172.16.0.0/12", "private"),
  range4("192.0.0.0/24", "reserved"),
  range4("192.168.0.0/16", "private"),
  range4("198.18.0.0/15", "reserved"),
  range4("224.0.0.0/4", "multicast"),
  range4("240.0.0.0/4", "reserved"),
];

/** IPv6 ranges, most specific first; embedded IPv4 addresses are handled apart. */
const IPV6_RANGES: readonly Range[] = [
  range6("::/128", "unspecified"),
  range6("::1/128", "loopback"),
  range6("fd00:ec2::254/128", "metadata"), // AWS IMDS over IPv6
  range6("64:ff9b:1::/48", "reserved"),
  range6("100::/64", "reserved"),
  range6("2001::/32", "reserved"), // Teredo: the client address is obfuscated
  range6("2001:db8::/32", "reserved"),
  range6("fc00::/7", "private"),
  range6("fe80::/10", "link-local"),
  range6("fec0::/10", "private"),
  range6("ff00::/8", "multicast"),
];

function range4(cidr: string, category: AddressCategory): Range {
  const parsed = parseCidr(cidr);
  if (parsed === null || parsed.bytes.length !== 4) throw new Error(`bad range ${cidr}`);
  return { ...parsed, category };
}

function range6(cidr: string, category: AddressCategory): Range {
  const parsed = parseCidr(cidr);
  if (parsed === null || parsed.bytes.length !== 16) throw new Error(`bad range ${cidr}`);
  return { ...parsed, category };
}

/** The bytes of an IPv4 or IPv6 address (zone id and brackets ignored); `null` if it is not one. */
export function parseAddress(text: string): Bytes | null {
  let address = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  const version = isIP(address);
  if (version === 4) return address.split(".").map(Number);
  if (version !== 6) return null;
  let tail: number[] = [];
  let head = address;
  const lastColon = head.lastIndexOf(":");
  if (head.includes(".", lastColon)) {
    tail = head
      .slice(lastColon + 1)
      .split(".")
      .map(Number);
    head = `${head.slice(0, lastColon + 1)}0:0`;
  }
  const [left = "", right] = head.split("::") as [string, string | undefined];
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words =
    right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Parses `address/prefix` (or a bare address, a full-length prefix); `null` if invalid. */
export function parseCidr(text: string): { bytes: Bytes; prefix: number } | null {
  const slash = text.indexOf("/");
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (bytes === null) return null;
  const bits = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  return prefix <= bits ? { bytes, prefix } : null;
}

function inRange(bytes: Bytes, network: Bytes, prefix: number): boolean {
  if (bytes.length !== network.length) return false;
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The IPv4 address an IPv6 address embeds (mapped, NAT64, 6to4, compatible), if any. */
function embeddedIpv4(bytes: Bytes): Bytes | null {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated)
  if (zeros(0, 10) && ((bytes[10] === 0xff && bytes[11] === 0xff) || zeros(10, 12))) {
    return bytes.slice(12);
  }
  // 64:ff9b::/96 (NAT64)
  if (
    bytes[0] === 0 &&
    bytes[1] === 0x64 &&
    bytes[2] === 0xff &&
    bytes[3] === 0x9b &&
    zeros(4, 12)
  ) {
    return bytes.slice(12);
  }
  // 2002::/16 (6to4)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return null;
}

/** Classifies an IP address (text); a string that is not an address is `reserved`. */
export function classifyAddress(address: string): AddressCategory {
  const bytes = parseAddress(address);
  if (bytes === null) return "reserved";
  return classifyBytes(bytes);
}

function classifyBytes(bytes: Bytes): AddressCategory {
  if (bytes.length === 4) {
    for (const r of IPV4_RANGES) if (inRange(bytes, r.bytes, r.prefix)) return r.category;
    return "public";
  }
  for (const r of IPV6_RANGES) if (inRange(bytes, r.bytes, r.prefix)) return r.category;
  const v4 = embeddedIpv4(bytes);
  if (v4 !== null) return classifyBytes(v4);
  return "public";
}

/** Whether `entry` is a valid allow-list entry (host name, wildcard, address or CIDR). */
export function isValidAllowEntry(entry: string): boolean {
  if (parseCidr(entry) !== null) return true;
  const host = entry.startsWith("*.") ? entry.slice(2) : entry;
  return /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i.test(
    host,
  );
}

/** A compiled {@link NetworkPolicy}. */
export class AddressPolicy {
  readonly #allowPrivate: boolean;
  readonly #hosts = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #networks: { bytes: Bytes; prefix: number }[] = [];

  /** Throws a `TypeError` naming an invalid allow-list entry. */
  constructor(policy: NetworkPolicy = {}) {
    this.#allowPrivate = policy.allowPrivateNetworks === true;
    for (const entry of policy.allow ?? []) {
      const cidr = parseCidr(entry);
      if (cidr !== null) this.#networks.push(cidr);
      else if (!isValidAllowEntry(entry)) {
        throw new TypeError(
          `invalid allow-list entry ${JSON.stringify(entry)}: expected a host name, *.domain, an IP address or a CIDR`,
        );
      } else if (entry.startsWith("*.")) this.#suffixes.push(normaliseHost(entry.slice(1)));
      else this.#hosts.add(normaliseHost(entry));
    }
  }

  /** Whether the allow-list names the host itself (then any address it resolves to is allowed). */
  allowsHost(host: string): boolean {
    const name = normaliseHost(host);
    return this.#hosts.has(name) || this.#suffixes.some((suffix) => name.endsWith(suffix));
  }

  /**
   * Checks one resolved address of `host`: `null` when it may be used, otherwise the
   * reason it is refused (one line, naming the address and its category).
   */
  refusal(host: string, address: string): string | null {
    const bytes = parseAddress(address);
    if (bytes === null) return `${address} is not an IP address`;
    const category = classifyBytes(bytes);
    if (category === "public") return null;
    if (this.allowsHost(host)) return null;
    if (this.#networks.some((n) => inRange(bytes, n.bytes, n.prefix))) return null;
    const v4 = bytes.length === 16 ? embeddedIpv4(bytes) : null;
    if (v4 !== null && this.#networks.some((n) => inRange(v4, n.bytes, n.prefix))) return null;
    if (this.#allowPrivate && PRIVATE_NETWORKS.has(category)) return null;
    const shown = host === address ? address : `${host} (${address})`;
    const how = PRIVATE_NETWORKS.has(category)
      ? "add it to `network.allow` or set `network.allowPrivateNetworks`"
      : "add it to `network.allow` to use it";
    return `${shown} is a ${category} address, refused by the SSRF policy; ${how}`;
  }
}

function normaliseHost(host: string): string {
  const h = host.toLowerCase();
  return h.endsWith(".") ? h.slice(0, -1) : h;
}
