import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/** A network an operator lets webhooks reach although it is not public: `127.0.0.0/8`, `::1`. */
export interface AllowedNetwork {
  readonly address: string;
  readonly prefix: number;
  readonly family: "ipv4" | "ipv6";
}

/** The address a webhook would dial is not a public one, and no allowed network holds it. */
export class AddressNotAllowed extends Error {
  override readonly name = "AddressNotAllowed";
}

// Everything that is not public unicast: this host, private and shared ranges, link-local (cloud
// metadata at 169.254.169.254), documentation, benchmarking, multicast and reserved. For IPv6 all
// but global unicast (2000::/3), and inside it the protocol, documentation and 6to4 blocks.
// One list per family: a BlockList matches IPv4 addresses against IPv6 rules too (as ::ffff:a.b.c.d).
const notPublic = { ipv4: new BlockList(), ipv6: new BlockList() };
for (const [address, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  notPublic.ipv4.addSubnet(address, prefix, "ipv4");
}
for (const [address, prefix] of [
  ["::", 3],
  ["4000::", 2],
  ["8000::", 1],
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
] as const) {
  notPublic.ipv6.addSubnet(address, prefix, "ipv6");
}

/** The eight 16-bit groups of an IPv6 address in any spelling (`::ffff:127.0.0.1` included). */
function ipv6Groups(address: string): number[] {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = "", tail] = canonical.split("::");
  const parse = (part: string) => (part ? part.split(":").map((group) => parseInt(group, 16)) : []);
  const [front, back] = [parse(head), parse(tail ?? "")];
  return tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The address as it is dialled: an IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`,
 * NAT64 `64:ff9b::a.b.c.d`) is that IPv4 address, so it meets the IPv4 rules.
 */
function effectiveAddress(address: string): { address: string; family: "ipv4" | "ipv6" } {
  if (isIP(address) === 4) return { address, family: "ipv4" };
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (!mapped && !nat64) return { address, family: "ipv6" };
  const [high = 0, low = 0] = groups.slice(6);
  return { address: [high >> 8, high & 0xff, low >> 8, low & 0xff].join("."), family: "ipv4" };
}

/**
 * Where webhooks may connect: public addresses, plus the networks the operator allows. Checked on
 * the address actually dialled: a host name is resolved once, every address it resolves to is
 * checked, and the connection goes to the checked address (the `lookup` handed to the socket), so
 * a name that resolves to something else a moment later (DNS rebinding) changes nothing.
 */
export function egressPolicy(allowedNetworks: readonly AllowedNetwork[]) {
  const allowed = { ipv4: new BlockList(), ipv6: new BlockList() };
  for (const { address, prefix, family } of allowedNetworks) allowed[family].addSubnet(address, prefix, family);

  const allows = (address: string): boolean => {
    const { address: dialled, family } = effectiveAddress(address);
    return allowed[family].check(dialled, family) || !notPublic[family].check(dialled, family);
  };

  /** `dns.lookup` that answers only with allowed addresses: the socket connects to what was checked. */
  function lookup(
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const [first] = addresses;
      if (!first || !addresses.every(({ address }) => allows(address))) return callback(new AddressNotAllowed(`${hostname} resolves to an address that is not allowed`), []);
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  }

  return {
    allows,
    lookup,
    /** Throws AddressNotAllowed unless every address `hostname` stands for is allowed (DNS errors as they come). */
    async check(hostname: string): Promise<void> {
      const host = hostname.replace(/^\[(.*)\]$/, "$1");
      if (isIP(host)) {
        if (!allows(host)) throw new AddressNotAllowed(`${host} is not allowed`);
        return;
      }
      await new Promise<void>((resolve, reject) => lookup(host, { all: true }, (error) => (error ? reject(error) : resolve())));
    },
  };
}

export type EgressPolicy = ReturnType<typeof egressPolicy>;
