/**
 * Talks to the session registry over the bus, never to its memory: requests
 * for one account go to the owner of its partition (in the partition's
 * order); listings and statistics are fanned out to every worker and
 * gathered until every partition has answered.
 */
import { BusError } from '@parley/bus';
import { ADMIN_REGISTRY_SUBJECT, adminReplySubject, routeSubject } from '@parley/routing';
import type { AdminQuery, AdminQueryAnswer, AdminReply, AdminRequest } from '@parley/routing';
import type { AdminDeps } from './deps.js';
import { ApiProblem, xmppProblem } from './problem.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface Gathered {
  answers: AdminQueryAnswer[];
  /** Every partition answered (false while partitions move between workers). */
  complete: boolean;
}

export class RegistryClient {
  private seq = 0;

  constructor(private readonly deps: AdminDeps) {}

  /** A request to the partition owning `req.jid`; a failed reply becomes a problem. */
  async request(req: AdminRequest): Promise<Extract<AdminReply, { ok: true }>> {
    const subject = routeSubject(req.jid, this.deps.config.routing.partitions);
    let reply: AdminReply;
    try {
      reply = (await this.deps.bus.request(subject, req, {
        durable: true,
        timeoutMs: this.deps.config.admin.requestTimeoutMs,
      })) as AdminReply;
    } catch (err) {
      throw busProblem(err, 'the session registry');
    }
    if (!reply.ok) throw xmppProblem(reply.condition, reply.text);
    return reply;
  }

  /** Asks every registry worker and waits for answers covering every partition. */
  async gather(query: DistributiveOmit<AdminQuery, 'replyTo'>): Promise<Gathered> {
    const { bus, config, instance } = this.deps;
    const replyTo = adminReplySubject(instance, ++this.seq);
    const answers: AdminQueryAnswer[] = [];
    const covered = new Set<number>();
    const total = config.routing.partitions;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const sub = bus.subscribe(replyTo, (msg) => {
      const a = msg.data as AdminQueryAnswer;
      answers.push(a);
      for (const p of a.partitions) covered.add(p);
      if (covered.size >= total) done();
    });
    const timer = setTimeout(done, config.admin.requestTimeoutMs);
    try {
      bus.publish(ADMIN_REGISTRY_SUBJECT, { ...query, replyTo } as AdminQuery);
      await finished;
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
    if (answers.length === 0)
      throw new ApiProblem('timeout', 'no session-registry worker answered');
    return { answers, complete: covered.size >= total };
  }
}

export function busProblem(err: unknown, what: string): ApiProblem {
  if (err instanceof ApiProblem) return err;
  if (err instanceof BusError && err.code === 'timeout')
    return new ApiProblem('timeout', `${what} did not answer in time`, {}, { cause: err });
  if (err instanceof BusError && err.code === 'no-responders')
    return new ApiProblem('unavailable', `${what} is not running`, {}, { cause: err });
  return new ApiProblem('internal', `cannot reach ${what}`, {}, { cause: err });
}
