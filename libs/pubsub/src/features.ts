/**
 * The XEP-0060 features (section 10) the engine's two profiles advertise:
 * the service on a component JID (pubsub.<domain>) and PEP, the virtual
 * service of every account (XEP-0163 section 9). One list of what both
 * advertise and what each adds; short names, without the `…pubsub#` prefix
 * (see `pubsubFeature()`).
 */

/** What both profiles advertise. */
const SHARED_FEATURES = [
  'access-open',
  'auto-create',
  'config-node',
  'config-node-max',
  'create-and-configure',
  'create-nodes',
  'delete-items',
  'delete-nodes',
  'instant-nodes',
  'item-ids',
  'manage-subscriptions',
  'member-affiliation',
  'meta-data',
  'modify-affiliations',
  'multi-items',
  'outcast-affiliation',
  'persistent-items',
  'publish',
  'publish-only-affiliation',
  'publish-options',
  'publisher-affiliation',
  'purge-nodes',
  'retract-items',
  'retrieve-affiliations',
  'retrieve-default',
  'retrieve-items',
  'retrieve-subscriptions',
  'subscribe',
] as const;

/** What only PEP advertises: the other access models and XEP-0163's implicit subscriptions. */
const PEP_ONLY_FEATURES = [
  'access-authorize',
  'access-presence',
  'access-roster',
  'access-whitelist',
  'auto-subscribe',
  'filtered-notifications',
  'last-published',
  'presence-subscribe',
  'pubsub-on-a-jid',
] as const;

/** What only the component service advertises. */
const SERVICE_ONLY_FEATURES = ['subscription-notifications'] as const;

/** Features of the account's PEP service, sorted. */
export const PEP_FEATURES: readonly string[] = [...SHARED_FEATURES, ...PEP_ONLY_FEATURES].sort();

/** Features of the pubsub.<domain> service, sorted. */
export const SERVICE_FEATURES: readonly string[] = [
  ...SHARED_FEATURES,
  ...SERVICE_ONLY_FEATURES,
].sort();
