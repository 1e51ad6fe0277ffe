/** Schema of the keys in push-types.ts: the `push` section (XEP-0357). */
import { bool, durationMs, int, list, str } from './schema.js';
import type { Field } from './schema.js';
import { pushAppsField } from './push-apps-field.js';
import type { PushConfig } from './push-types.js';
import type { SchemaFor } from './types.js';

/** A domain name, compared lower-case (JIDs' domains are normalized so). */
function domain(): Field<string> {
  const base = str({ default: '', doc: 'domain' });
  return {
    ...base,
    type: 'domain',
    fromJson: (v) => base.fromJson(v).trim().toLowerCase(),
    fromString: (s) => base.fromString(s).trim().toLowerCase(),
  };
}

export const pushSchema: SchemaFor<PushConfig> = {
  enabled: bool({
    default: false,
    doc: 'XEP-0357 Push Notifications: clients may enable app servers on their account, and the server publishes a notification to them for messages that arrive while the user has no attached session (offline, or every session detached by stream management). docs/push.md.',
  }),
  maxRegistrations: int({
    min: 1,
    max: 1000,
    default: 20,
    doc: 'App servers (JID and node pairs) one account may enable; one more is refused with resource-constraint.',
  }),
  bodyDomains: list(domain(), {
    default: [],
    doc: "Domains whose users' notifications carry the last message's body (last-message-body). Empty (the default): no notification carries a body. The app server and its push provider see what is sent.",
  }),
  includeSender: bool({
    default: true,
    doc: "Notifications name the last message's sender (last-message-sender, a bare JID, or the room occupant for a mention).",
  }),
  notifyMentions: bool({
    default: true,
    doc: "Notify for group chat messages, routed to a detached session, whose body mentions the user's nickname in that room.",
  }),
  publishTimeoutMs: durationMs({
    min: 1000,
    max: 600_000,
    default: 60_000,
    doc: 'How long the server waits for an app server to answer a publish; an error answer disables that registration (XEP-0357 section 7.1), no answer does not.',
  }),
  service: {
    enabled: bool({
      default: false,
      doc: 'Serve the built-in push app server on <subdomain>.<domain> for every served domain: devices register through ad-hoc commands (register-push-fcm, register-push-apns, unregister-push) and get a node and secret for XEP-0357; notifications go to FCM or APNs.',
    }),
    subdomain: str({
      default: 'push',
      doc: 'Subdomain of the push service: push.example.org for example.org.',
    }),
    apps: pushAppsField({
      doc: 'The apps devices register for, as JSON objects. FCM: {id, type: "fcm", serviceAccountFile, projectId?, endpoint?, caFile?}. APNs: {id, type: "apns", keyFile (.p8), keyId, teamId, topic (bundle id), environment: "production" | "sandbox", pushType: "alert" | "background", alertText?, endpoint?, caFile?}. The register command picks an app by its optional `application` field, else the first app of its type.',
    }),
    maxDevicesPerAccount: int({
      min: 1,
      max: 1000,
      default: 20,
      doc: 'Devices one account may register on the push service; one more is refused with resource-constraint.',
    }),
    maxAttempts: int({
      min: 1,
      max: 20,
      default: 5,
      doc: 'Attempts per push, the first included: 429 and 5xx answers and network failures are retried with exponential backoff.',
    }),
    retryBaseMs: durationMs({
      min: 10,
      max: 60_000,
      default: 1000,
      doc: 'Backoff before the first retry (a random time up to it, full jitter); doubles per retry.',
    }),
    retryMaxMs: durationMs({
      min: 10,
      max: 600_000,
      default: 60_000,
      doc: "Longest wait between two attempts. The provider's Retry-After is honoured; one longer than this gives the push up.",
    }),
    requestTimeoutMs: durationMs({
      min: 100,
      max: 120_000,
      default: 10_000,
      doc: 'One request to FCM, APNs or the Google token endpoint must be answered within this time.',
    }),
    maxInFlight: int({
      min: 1,
      max: 100_000,
      default: 1000,
      doc: 'Pushes being delivered at once by one registry worker; beyond it a publish is refused with resource-constraint (wait).',
    }),
  },
};
