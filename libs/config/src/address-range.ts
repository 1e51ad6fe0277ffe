/**
 * IP addresses and CIDR ranges in configuration (trusted proxies and load
 * balancers): `203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`. An IPv4-mapped
 * IPv6 entry (`::ffff:10.0.0.0/104`) is read as the IPv4 range it maps, so
 * it matches whether a peer shows up as `10.1.2.3` or `::ffff:10.1.2.3`.
 *
 * Parsing lives here, next to the schema that validates it; the gateway
 * matches addresses against parsed ranges (its `TrustedAddresses`).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { FieldValueError, show } from './schema.js';
import type { Field } from './schema.js';

export interface AddressRange {
  /** The network address as written (IPv4-mapped IPv6 turned into IPv4). */
  address: string;
  /** Prefix length: 32 or 128 for a single address. */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

const EXPECTED = 'an IP address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32';
const PREFIX = /^(0|[1-9]\d{0,2})$/;
const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Parses `addr` or `addr/prefix`; throws FieldValueError naming what was expected. */
export function parseAddressRange(text: string): AddressRange {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  let address = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash === -1 ? undefined : trimmed.slice(slash + 1);
  let family: 'ipv4' | 'ipv6';
  if (isIPv4(address)) family = 'ipv4';
  else if (isIPv6(address) && !address.includes('%')) family = 'ipv6';
  else throw new FieldValueError(`expected ${EXPECTED}, got ${show(text)}`);
  const max = family === 'ipv4' ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!PREFIX.test(prefixText) || Number(prefixText) > max) {
      throw new FieldValueError(`expected ${EXPECTED} (prefix 0-${max}), got ${show(text)}`);
    }
    prefix = Number(prefixText);
  }
  const mapped = family === 'ipv6' ? MAPPED.exec(address) : null;
  if (mapped !== null && isIPv4(mapped[1]!) && prefix >= 96) {
    address = mapped[1]!;
    family = 'ipv4';
    prefix -= 96;
  }
  return { address, prefix, family };
}

/**
 * A configuration entry holding one address or range (use it as a `list`
 * item). The value is kept as written, trimmed; parse it with
 * {@link parseAddressRange} where it is used.
 */
export function addressRange(opts: { doc: string }): Field<string> {
  const check = (value: unknown): string => {
    if (typeof value !== 'string')
      throw new FieldValueError(`expected ${EXPECTED}, got ${show(value)}`);
    parseAddressRange(value);
    return value.trim();
  };
  return {
    kind: 'field',
    type: 'IP address or CIDR range',
    doc: opts.doc,
    default: '',
    fromJson: check,
    fromString: check,
  };
}
