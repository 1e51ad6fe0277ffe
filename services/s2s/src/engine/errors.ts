/** Why a stanza for a remote domain could not be delivered (stanza error conditions, RFC 6120 8.3.3). */
export type DeliveryCondition =
  | 'remote-server-not-found'
  | 'remote-server-timeout'
  | 'policy-violation'
  | 'resource-constraint'
  | 'service-unavailable';

export class S2sDeliveryError extends Error {
  override readonly name = 'S2sDeliveryError';

  constructor(
    readonly condition: DeliveryCondition,
    message: string,
  ) {
    super(message);
  }
}
