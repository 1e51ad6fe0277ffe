export { freePort } from './free-port.js';
export { findBinary, hasBinary } from './binaries.js';
export { canConnect, waitForPort } from './wait-for-port.js';
export type { WaitForPortOptions, WaitForPortResult } from './wait-for-port.js';
export { tempDir, removeTempDir, cleanupTempDirs } from './temp-dir.js';
export { startServerProcess, onFreePort } from './server-process.js';
export { isProcessAlive } from './process-cleanup.js';
export type { ServerProcess, StartServerProcessOptions } from './server-process.js';
export { startNatsServer } from './nats-server.js';
export type {
  NatsServer,
  NatsServerAuth,
  NatsServerOptions,
  NatsPermissions,
  ServerTlsFiles,
} from './nats-server.js';
export { startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
export { startRedisWithClients } from './redis-with-clients.js';
export type { Disconnectable, RedisWithClients } from './redis-with-clients.js';
export { TestkitError } from './errors.js';
export type { TestkitErrorCode } from './errors.js';
export { TcpRelay } from './tcp-relay.js';
export { RoundRobinRelay } from './round-robin-relay.js';
export type { RelayedConnection } from './round-robin-relay.js';
export { startPostgresServer } from './postgres-server.js';
export type { PostgresServer, PostgresServerOptions } from './postgres-server.js';
export { createTestPki, selfSignedCa, signed } from './test-pki.js';
export type { SignOptions, TestPki, TestPkiOptions } from './test-pki.js';
export {
  FCM_SCOPE,
  apnsDoubleApp,
  fcmDoubleApp,
  startApnsDouble,
  startFcmDouble,
  verifyJwt,
} from './push-doubles.js';
export type { ApnsDouble, FcmDouble, RecordedPush, ScriptedAnswer } from './push-doubles.js';
export { createNkey, createNkeyUser } from './nkey.js';
export type { NkeyPair, NkeyRole, SigningNkey } from './nkey.js';
export { createNatsJwtSetup } from './nats-jwt.js';
export type { NatsJwtSetup, NatsOperatorAuth } from './nats-jwt.js';
export {
  createFederationPki,
  federationDomain,
  FEDERATION_DOMAIN_SUFFIX,
} from './federation-pki.js';
export type { FederationCert, FederationPki, FederationPkiOptions } from './federation-pki.js';
export { startDnsServer, xmppDnsRecords } from './dns-server.js';
export type {
  DnsRecord,
  DnsServer,
  DnsServerOptions,
  XmppDnsRecordsOptions,
} from './dns-server.js';
export { reserveXmppPorts } from './xmpp-peer.js';
export type { S2sAuth, XmppPeer, XmppPeerOptions, XmppPeerTls, XmppPeerUser } from './xmpp-peer.js';
export { startProsody } from './prosody-server.js';
export type { ProsodyOptions } from './prosody-server.js';
export { startEjabberd } from './ejabberd-server.js';
export type { EjabberdOptions } from './ejabberd-server.js';
export { DEBIAN_PYTHON, hasPythonModule } from './python.js';
export { exitWithin, killJsonLines, lastJsonLine, spawnJsonLines } from './json-lines-process.js';
export type { JsonLinesOptions, JsonLinesProcess } from './json-lines-process.js';
export { startTurnServer } from './turn-server.js';
export type { TurnServer } from './turn-server.js';
export { BoshTestClient, NS_HTTPBIND, NS_XBOSH, post as boshPost } from './bosh-client.js';
export type { BoshResponse } from './bosh-client.js';
