/**
 * Storage contracts of XEP-0357 Push Notifications: the app servers each
 * account enabled (the server side), and the devices registered on the
 * built-in push service (the app server side).
 */

/** An app server a user enabled (XEP-0357 section 5): one per JID and node. */
export interface PushRegistration {
  /** The XMPP Push Service's JID (e.g. push.example.org). */
  jid: string;
  /** The node on it; '' when the client named none. */
  node: string;
  /**
   * The publish-options form given with `enable` (FORM_TYPE excluded):
   * field var -> values, e.g. `{ secret: ['…'] }`, sent back with every publish.
   */
  options: Record<string, string[]>;
  /** The full JID of the client that enabled it. */
  enabledBy: string;
  /** ms since epoch */
  createdAt: number;
}

/** The app servers of each account, keyed by (owner, jid, node). */
export interface PushRegistrationStore {
  /** The owner's registrations, ordered by jid then node (code points). */
  list(owner: string): Promise<PushRegistration[]>;
  /** Adds a registration or replaces the one with the same jid and node. */
  put(owner: string, registration: PushRegistration): Promise<void>;
  /**
   * Removes the registration with `node`, or, without `node`, every
   * registration of `jid`; returns how many were removed.
   */
  remove(owner: string, jid: string, node?: string): Promise<number>;
  /** Removes every registration of the owner (account deletion). */
  deleteAll(owner: string): Promise<void>;
}

/** A device registered on the built-in push service, addressed by (service, node). */
export interface PushDevice {
  /** The push service's domain (push.example.org). */
  service: string;
  /** The XEP-0357 node the device was given (random). */
  node: string;
  /** SHA-256 (hex) of the secret the device was given; the secret itself is never stored. */
  secretHash: string;
  /** The account that registered it (bare JID). */
  owner: string;
  /**
   * What the client knows the device by: SHA-1 (hex) of the bare JID and the
   * client's device id (see @parley/push deviceHash), sent with every push.
   */
  device: string;
  /** The configured app (push.service.apps id). */
  app: string;
  /** The provider's device token (FCM registration token or APNs device token). */
  token: string;
  /** ms since epoch */
  createdAt: number;
}

export interface PushDeviceStore {
  get(service: string, node: string): Promise<PushDevice | undefined>;
  /** The owner's devices on every service, ordered by service then node (code points). */
  listByOwner(owner: string): Promise<PushDevice[]>;
  /** Adds a device or replaces the one at the same (service, node). */
  put(device: PushDevice): Promise<void>;
  /** Removes one device; whether it was there. */
  delete(service: string, node: string): Promise<boolean>;
  /** Removes every device the owner registered (account deletion). */
  deleteAll(owner: string): Promise<void>;
}
