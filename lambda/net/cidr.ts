/**
 * IPv4 address and CIDR arithmetic (pure), shared by the diagnosis (security groups, network
 * ACLs, publicAccessCidrs) and the emulator's simulated VPCs. Hand-written: a few lines of
 * integer arithmetic, IPv4 only, with no need for a dependency.
 */

export interface Ipv4Cidr {
  /** network address as an unsigned 32-bit integer */
  network: number;
  prefixLength: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses "a.b.c.d/n"; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return undefined;
  const prefixLength = Number(match[5]);
  const address = ipToInt(match.slice(1, 5).join('.'));
  if (address === undefined || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) return undefined;
  return { network: address, prefixLength };
}

export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

export function cidrContainsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefixLength >= outer.prefixLength &&
    inner.network >= outer.network &&
    inner.network + cidrSize(inner) <= outer.network + cidrSize(outer)
  );
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

/** AWS reserves the first four addresses and the last one of every subnet. */
export const AWS_RESERVED_ADDRESSES_PER_SUBNET = 5;

/** Whether the address `ip` ("52.1.2.3") lies inside the CIDR block `cidr` ("52.1.0.0/16"). */
export function cidrContainsIp(cidr: string, ip: string): boolean {
  const block = parseCidrLoose(cidr);
  const address = ipToInt(ip);
  return block !== undefined && address !== undefined && address >= block.network && address < block.network + cidrSize(block);
}

/**
 * Like parseCidr but tolerant of host bits (AWS accepts "10.0.0.5/24" in some places and means
 * the enclosing block) and of a bare address (taken as /32).
 */
export function parseCidrLoose(text: string): Ipv4Cidr | undefined {
  const [address, prefix = '32'] = text.split('/');
  const value = ipToInt(address ?? '');
  const prefixLength = Number(prefix);
  if (value === undefined || !/^\d{1,2}$/.test(prefix) || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  return { network: value - (value % size), prefixLength };
}

/** Whether CIDR text `outer` contains CIDR text `inner` (both loosely parsed); false when either is malformed. */
export function cidrTextContains(outer: string, inner: string): boolean {
  const a = parseCidrLoose(outer);
  const b = parseCidrLoose(inner);
  return a !== undefined && b !== undefined && cidrContainsCidr(a, b);
}

/** Whether two CIDR texts share at least one address; false when either is malformed. */
export function cidrTextsOverlap(a: string, b: string): boolean {
  const x = parseCidrLoose(a);
  const y = parseCidrLoose(b);
  return x !== undefined && y !== undefined && cidrsOverlap(x, y);
}
