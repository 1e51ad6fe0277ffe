import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { StoreError, toStoreError } from '../errors.js';
import { Lifecycle } from '../shared/lifecycle.js';

/** Runs statements: the pool, or the connection of a transaction. */
export interface Querier {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** SQLSTATEs of input PostgreSQL cannot hold: NUL in text, keys over the index row limit. */
const BAD_INPUT = new Set(['22021', '22P05', '54000']);
/** serialization_failure, deadlock_detected: the transaction is safe to run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The connection pool of one store bundle: schema-qualified table names,
 * named (server-side prepared) statements, transactions with retry on
 * serialization failures and deadlocks, and engine errors as StoreErrors.
 */
export class PgSession implements Querier {
  readonly life = new Lifecycle();
  private readonly names = new Map<string, string>();
  private ending: Promise<void> | undefined;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
    private readonly owned: boolean,
  ) {
    // An idle connection that breaks (server restart, network) is replaced
    // on the next checkout; without a listener the error would end the process.
    if (owned) pool.on('error', () => undefined);
  }

  /** `"<schema>".<name>` */
  table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<QueryResult<R>> {
    return this.run('query', (q) => q.query<R>(text, values));
  }

  /**
   * One statement through the pool, with `operation` named in errors. A
   * statement is atomic, so one that lost a deadlock is simply run again.
   */
  async run<T>(operation: string, fn: (q: Querier) => Promise<T>): Promise<T> {
    this.life.assertOpen();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(this.querier(this.pool));
      } catch (err) {
        const state = sqlState(err);
        if (state !== undefined && RETRYABLE.has(state) && attempt < MAX_ATTEMPTS) continue;
        throw this.error(err, operation);
      }
    }
  }

  /** Runs `fn` in a transaction (READ COMMITTED), again when it fails with a serialization failure or deadlock. */
  async tx<T>(operation: string, fn: (q: Querier) => Promise<T>): Promise<T> {
    this.life.assertOpen();
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw this.error(err, operation);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(this.querier(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const state = sqlState(err);
        if (state !== undefined && RETRYABLE.has(state) && attempt < MAX_ATTEMPTS) continue;
        throw this.error(err, operation);
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    this.life.markClosed();
    if (this.owned) this.ending ??= this.pool.end().catch(() => undefined);
    await this.ending;
  }

  private querier(target: Pool | PoolClient): Querier {
    return {
      query: <R extends QueryResultRow>(text: string, values: unknown[] = []) =>
        target.query<R>(this.statement(text, values)),
    };
  }

  /** A named statement: parsed and planned once per connection, then only bound and executed. */
  private statement(text: string, values: unknown[]): QueryConfig {
    let name = this.names.get(text);
    if (name === undefined) {
      name = `parley_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      this.names.set(text, name);
    }
    return { name, text, values };
  }

  private error(err: unknown, operation: string): StoreError {
    if (err instanceof StoreError) return err;
    if (this.life.closed) {
      return new StoreError('closed', 'the stores are closed', { cause: err });
    }
    const state = sqlState(err);
    if (state !== undefined && BAD_INPUT.has(state)) {
      const detail = err instanceof Error ? err.message : String(err);
      return new StoreError('invalid-argument', `${operation}: ${detail}`, { cause: err });
    }
    return toStoreError(err, operation);
  }
}
