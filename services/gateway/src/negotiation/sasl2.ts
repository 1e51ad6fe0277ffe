/**
 * SASL2 (XEP-0388): <authenticate/> with an initial response, a
 * <user-agent id/> and inline requests, <challenge/>/<response/>,
 * <abort/>, and <success/> or <failure/>, then the features of the
 * authenticated stream without a restart.
 *
 * The exchange is the one of RFC 6120 SASL (negotiation/sasl.ts): the same
 * mechanisms offered on the same conditions, channel binding and downgrade
 * protection, account lookup, failure delays and limits; SASL2 only changes
 * the elements around it (`sasl2Profile`). FAST (XEP-0484) adds the HT
 * mechanisms, which authenticate with a token (negotiation/fast.ts).
 *
 * Inline, after a successful exchange and before the <success/>: a FAST
 * token is used, issued or rotated; a XEP-0198 <resume/> is tried (answered
 * in the success: <resumed/> means the session continues and nothing is
 * bound; <failed/> goes on to Bind2); a Bind2 <bind/> binds a resource and
 * enables what it asks for (negotiation/bind2.ts).
 */
import {
  isHtMechanism,
  HtServerMechanism,
  decodeSaslPayload,
  encodeSaslPayload,
} from '@parley/sasl';
import type { HtMechanism } from '@parley/sasl';
import { NS_BIND2, NS_FAST, NS_SASL2, NS_SM, sasl2Failure } from '@parley/stanza';
import type { Account } from '@parley/store';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { bind2 } from './bind2.js';
import type { Bind2Result } from './bind2.js';
import { agentOf, issueToken, tokenCandidates, useToken } from './fast.js';
import type { TokenRef, TokenUse } from './fast.js';
import { connectionChannelBinding } from './features.js';
import { offeredFastMechanisms } from './mechanisms.js';
import { gated, reject, respond, abort, runExchange, startExchange } from './sasl.js';
import type { SaslOutcome, SaslProfile } from './sasl.js';
import { resumeWith } from '../sm/protocol.js';

/** Longest user-agent id accepted (XEP-0388 suggests a UUID). */
const MAX_AGENT_ID = 256;

/** What an <authenticate/> asked for besides authentication. */
interface Sasl2Request {
  userAgentId: string | undefined;
  bind: Element | undefined;
  resume: Element | undefined;
  fast: TokenUse | undefined;
  /** <request-token mechanism/> outside a token login. */
  requestToken: HtMechanism | undefined;
  /** The HT exchange's mechanism, to tell which token matched. */
  ht: HtServerMechanism<TokenRef> | undefined;
}

const requests = new WeakMap<Connection, Sasl2Request>();

export const sasl2Profile: SaslProfile = {
  name: 'sasl2',
  challenge(conn, data) {
    conn.send(xml('challenge', { xmlns: NS_SASL2 }, encodeSaslPayload(data)).toString());
  },
  failure(conn, condition, text) {
    requests.delete(conn);
    conn.sendElement(sasl2Failure(condition, text));
  },
  success: succeed,
};

/** The top-level elements of SASL2 while negotiating. */
export function onSasl2(conn: Connection, el: Element): Promise<void> | void {
  switch (el.localName) {
    case 'authenticate':
      // The login limits first, for password and token (FAST) logins alike.
      return gated(conn, sasl2Profile, () => authenticate(conn, el));
    case 'response':
      return respond(conn, sasl2Profile, el);
    case 'abort':
      return abort(conn, sasl2Profile);
    default:
      conn.closeStream('unsupported-stanza-type');
  }
}

function authenticate(conn: Connection, el: Element): Promise<void> | void {
  const name = el.attr('mechanism') ?? '';
  const text = el.getChildText('initial-response')?.trim() ?? '';
  const agentId = el.getChild('user-agent')?.attr('id');
  const fastEl = el.getChild('fast', NS_FAST);
  const cb = conn.secure ? connectionChannelBinding(conn) : undefined;
  const fastOffered = offeredFastMechanisms(conn, cb);
  const requested = el.getChild('request-token', NS_FAST)?.attr('mechanism');
  const count = fastEl?.attr('count');
  const request: Sasl2Request = {
    userAgentId:
      agentId !== undefined && agentId.length > 0 && agentId.length <= MAX_AGENT_ID
        ? agentId
        : undefined,
    bind: el.getChild('bind', NS_BIND2),
    resume: el.getChild('resume', NS_SM),
    requestToken:
      requested !== undefined && isHtMechanism(requested) && fastOffered.includes(requested)
        ? requested
        : undefined,
    fast: undefined,
    ht: undefined,
  };
  requests.set(conn, request);
  if (!isHtMechanism(name)) return startExchange(conn, sasl2Profile, name, text);

  // FAST: a token instead of a password.
  if (!fastOffered.includes(name)) return reject(conn, sasl2Profile, name, 'invalid-mechanism');
  if (fastEl === undefined || (count !== undefined && !/^\d{1,15}$/.test(count))) {
    return reject(conn, sasl2Profile, name, 'malformed-request', 'a token login needs <fast/>');
  }
  request.fast = {
    count: count === undefined ? undefined : Number(count),
    invalidate: fastEl.attr('invalidate') === 'true' || fastEl.attr('invalidate') === '1',
    request: request.requestToken,
  };
  request.requestToken = undefined;
  const decoded = decodeSaslPayload(text);
  if (!Buffer.isBuffer(decoded)) {
    return reject(
      conn,
      sasl2Profile,
      name,
      decoded.kind === 'failure' ? decoded.condition : 'malformed-request',
    );
  }
  const agent = request.userAgentId === undefined ? undefined : agentOf(request.userAgentId);
  const found: { account?: Account } = {};
  const mechanism = new HtServerMechanism<TokenRef>(name, {
    // Tokens belong to one client: without its user-agent id there is nothing to match.
    tokens: (username) =>
      agent === undefined
        ? Promise.resolve([])
        : tokenCandidates(conn, username, agent, name, found),
    ...(cb !== undefined && { channelBinding: cb }),
  });
  request.ht = mechanism;
  return runExchange(conn, { mechanism, found, profile: sasl2Profile }, decoded);
}

async function succeed(conn: Connection, outcome: SaslOutcome): Promise<void> {
  const request = requests.get(conn);
  requests.delete(conn);
  const inline: Element[] = [];
  const agent = request?.userAgentId === undefined ? undefined : agentOf(request.userAgentId);

  // FAST: the token just used, or a new one asked for with a password login. The client
  // is authenticated either way: a store that fails costs it the token, not the login.
  const matched = request?.ht?.matched;
  try {
    if (matched !== undefined && request?.fast !== undefined && agent !== undefined) {
      const token = await useToken(conn, outcome.account, agent, matched.ref, request.fast);
      if (token !== undefined) inline.push(token);
    } else if (request?.requestToken !== undefined) {
      if (agent === undefined) {
        conn.ctx.logger.info('FAST token not issued: no user-agent id', { conn: conn.id });
      } else {
        inline.push(await issueToken(conn, outcome.account, agent, request.requestToken));
      }
    }
  } catch (err) {
    // A client that asked to invalidate its token must not be told it was done.
    if (request?.fast?.invalidate === true) throw err;
    conn.ctx.logger.warn('FAST token store failed; no token in this success', {
      conn: conn.id,
      jid: outcome.bare,
      err,
    });
  }
  if (!conn.open) return;

  // XEP-0198 resumption first: when it works, nothing is bound.
  if (request?.resume !== undefined) {
    let resumed = false;
    await resumeWith(conn, request.resume, (answer, ok) => {
      if (ok) {
        resumed = true;
        writeSuccess(conn, outcome, outcome.bare, [...inline, parseXml(answer)], 'bound');
      } else {
        inline.push(parseXml(answer));
      }
    });
    if (resumed || !conn.open) return;
  }

  let bound: Bind2Result | undefined;
  if (request?.bind !== undefined && conn.state === 'authenticated') {
    bound = await bind2(conn, request.bind, request.userAgentId);
    if (!conn.open) return;
  }
  if (bound === undefined) {
    writeSuccess(conn, outcome, outcome.bare, inline, 'authenticated');
    return;
  }
  writeSuccess(conn, outcome, bound.jid, [bound.bound, ...inline], 'bound');
  bound.after();
}

/** <success/>, then the features of the stream as it now is (no restart, XEP-0388 section 2.6.1). */
function writeSuccess(
  conn: Connection,
  outcome: SaslOutcome,
  identity: string,
  inline: readonly Element[],
  features: 'authenticated' | 'bound',
): void {
  conn.send(
    xml(
      'success',
      { xmlns: NS_SASL2 },
      outcome.data !== undefined && xml('additional-data', null, encodeSaslPayload(outcome.data)),
      xml('authorization-identifier', null, identity),
      ...inline,
    ).toString(),
  );
  conn.send(conn.ctx.streams.featuresXml(features, conn));
}
