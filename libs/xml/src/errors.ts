/**
 * XML-level failures, named after the RFC 6120 stream error conditions they
 * map onto (section 4.9.3), so a server can send `<stream:error>` with
 * `err.condition` as is.
 */
export type XmlErrorCondition =
  | 'not-well-formed'
  | 'policy-violation'
  | 'restricted-xml'
  | 'invalid-namespace'
  | 'bad-namespace-prefix'
  | 'unsupported-encoding'
  | 'invalid-xml';

/** Stable machine-readable code for each condition, e.g. `XML_NOT_WELL_FORMED`. */
export type XmlErrorCode = `XML_${string}`;

export class XmlError extends Error {
  override readonly name = 'XmlError';
  readonly condition: XmlErrorCondition;
  readonly code: XmlErrorCode;

  constructor(condition: XmlErrorCondition, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.condition = condition;
    this.code = `XML_${condition.replace(/-/g, '_').toUpperCase()}`;
  }
}
