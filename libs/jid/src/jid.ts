// The JID value type (RFC 7622): localpart@domainpart/resourcepart.

import { normalizeDomain } from './domainpart.js';
import { normalizeLocalpart } from './localpart.js';
import { normalizeResourcepart } from './resourcepart.js';

/** Set while constructing a JID from parts that are already normalized. */
let trusted = false;

/** Builds a JID from already-normalized parts without validating them again. */
export function jidFromNormalized(local: string, domain: string, resource: string): JID {
  trusted = true;
  try {
    return new JID(local, domain, resource);
  } finally {
    trusted = false;
  }
}

/**
 * An immutable, normalized XMPP address. Absent parts are ''.
 * Two JIDs are equal when their normalized parts are equal.
 */
export class JID {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;

  /**
   * Validates and normalizes the parts; '' (or an omitted resource) means
   * the part is absent. Throws JIDError.
   */
  constructor(local: string, domain: string, resource?: string) {
    if (trusted) {
      this.local = local;
      this.domain = domain;
      this.resource = resource ?? '';
      return;
    }
    this.local = local === '' ? '' : normalizeLocalpart(local);
    this.domain = normalizeDomain(domain);
    this.resource =
      resource === undefined || resource === '' ? '' : normalizeResourcepart(resource);
  }

  /** The JID without its resourcepart (this JID when it has none). */
  bare(): JID {
    return this.resource === '' ? this : jidFromNormalized(this.local, this.domain, '');
  }

  /** True when there is no resourcepart. */
  isBare(): boolean {
    return this.resource === '';
  }

  /** The normalized form local@domain/resource (absent parts and separators omitted). */
  toString(): string {
    const bare = this.toBareString();
    return this.resource === '' ? bare : `${bare}/${this.resource}`;
  }

  /** The normalized form local@domain, or domain when there is no localpart. */
  toBareString(): string {
    return this.local === '' ? this.domain : `${this.local}@${this.domain}`;
  }

  /** True when all three normalized parts are equal. */
  equals(other: JID): boolean {
    return (
      this === other ||
      (this.local === other.local &&
        this.domain === other.domain &&
        this.resource === other.resource)
    );
  }

  /** This JID with the given resourcepart (validated); '' gives the bare JID. */
  withResource(resource: string): JID {
    if (resource === '') return this.bare();
    return jidFromNormalized(this.local, this.domain, normalizeResourcepart(resource));
  }
}
