/**
 * XEP-0357 Push Notifications: the `push` section. The session registry's
 * `push` module lets clients enable app servers and publishes notifications
 * to them; its `push-service` module is an app server of its own on
 * push.<domain> that delivers to Firebase Cloud Messaging and the Apple
 * Push Notification service. See docs/push.md.
 */

/** A Firebase app: messages go through FCM HTTP v1 with the project's service account. */
export interface FcmAppConfig {
  /** The app's name in registrations (the `application` field of the register command). */
  id: string;
  type: 'fcm';
  /** The service-account key file (JSON) from the Firebase console. */
  serviceAccountFile: string;
  /** Default: project_id of the service-account file. */
  projectId?: string;
  /** Base URL of the FCM API; unset = https://fcm.googleapis.com. */
  endpoint?: string;
  /** An extra CA to trust for the endpoint and the token URI (tests, TLS-inspecting proxies). */
  caFile?: string;
}

/** An iOS app: pushes go to APNs over HTTP/2 with a provider token signed by the team's .p8 key. */
export interface ApnsAppConfig {
  id: string;
  type: 'apns';
  /** The .p8 signing key (PKCS#8 PEM). */
  keyFile: string;
  /** The key's 10-character id. */
  keyId: string;
  /** The 10-character team id. */
  teamId: string;
  /** The app's bundle id (apns-topic). */
  topic: string;
  environment: 'production' | 'sandbox';
  /** `alert`: a visible notification; `background`: content-available, the app wakes silently. */
  pushType: 'alert' | 'background';
  /** Visible text of an alert push; never message content. */
  alertText: string;
  /** Origin of the APNs API; unset = Apple's for the environment. */
  endpoint?: string;
  caFile?: string;
}

export type PushAppConfig = FcmAppConfig | ApnsAppConfig;

export interface PushServiceConfig {
  /** Serve the built-in app server on <subdomain>.<domain> for every served domain. */
  enabled: boolean;
  subdomain: string;
  /** The apps devices register for; the first of each type is the default of its command. */
  apps: PushAppConfig[];
  /** Registered devices one account may have on the service. */
  maxDevicesPerAccount: number;
  /** Attempts per push, the first included (retries on 429 and 5xx). */
  maxAttempts: number;
  /** Backoff before the first retry (at most); doubles per retry. */
  retryBaseMs: number;
  /** Longest wait between attempts; a longer Retry-After gives up. */
  retryMaxMs: number;
  /** One HTTP request to a provider must be answered within this time. */
  requestTimeoutMs: number;
  /** Pushes being delivered at once per registry worker; more are refused (resource-constraint). */
  maxInFlight: number;
}

export interface PushConfig {
  /** XEP-0357 on every account: enable/disable, notifications to the enabled app servers. */
  enabled: boolean;
  /** App servers one account may enable (JID and node pairs). */
  maxRegistrations: number;
  /** Domains whose users' notifications carry the last message's body (default: none). */
  bodyDomains: string[];
  /** Whether notifications name the last message's sender (last-message-sender). */
  includeSender: boolean;
  /** Notify for group chat messages that mention the user's nickname in the room. */
  notifyMentions: boolean;
  /** How long an app server has to answer a publish before it is given up (no disabling then). */
  publishTimeoutMs: number;
  service: PushServiceConfig;
}
