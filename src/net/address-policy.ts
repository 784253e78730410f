/**
 * @module net/address-policy
 * Which resolved addresses an outbound request may connect to. Private, loopback, link-local, carrier-grade NAT,
 * multicast and unspecified ranges are refused unless the operator named that exact address, so a public hostname
 * that resolves (or is DNS-rebound) to an internal address cannot make livegate fetch from inside its network.
 */
import { BlockList, isIP } from 'node:net'

export interface AddressPolicy {
  allows (address: string): boolean
}

const INTERNAL_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
]
const INTERNAL_V6: ReadonlyArray<[string, number]> = [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b:1::', 48],
]

function internalRanges (): BlockList {
  const list = new BlockList()
  for (const [net, prefix] of INTERNAL_V4) list.addSubnet(net, prefix, 'ipv4')
  for (const [net, prefix] of INTERNAL_V6) list.addSubnet(net, prefix, 'ipv6')
  return list
}

/** `[::1]` → `::1`, `::ffff:127.0.0.1` → `127.0.0.1`, lower case: one spelling per address. */
export function normalizeAddress (address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)
  return mapped?.[1] ?? bare
}

/**
 * @param explicit addresses the operator named (IP literals in an allowlist): allowed even when internal.
 * @example createAddressPolicy([]).allows('127.0.0.1') // false
 */
export function createAddressPolicy (explicit: readonly string[] = []): AddressPolicy {
  const blocked = internalRanges()
  const named = new Set(explicit.map(normalizeAddress).filter((a) => isIP(a) !== 0))
  return {
    allows (address: string): boolean {
      const a = normalizeAddress(address)
      const family = isIP(a)
      if (family === 0) return false
      if (named.has(a)) return true
      return !blocked.check(a, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}
