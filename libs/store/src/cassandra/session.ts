import { types } from 'cassandra-driver';
import type { Client, QueryOptions } from 'cassandra-driver';
import { toStoreError } from '../errors.js';
import { Lifecycle } from '../shared/lifecycle.js';
import type { CassandraConsistency, CassandraSerialConsistency } from './options.js';

export type Row = types.Row;
export type Params = unknown[];

/** One statement of a batch. */
export interface Statement {
  query: string;
  params: Params;
}

export interface ReadOptions {
  /** Rows per page (the driver's fetchSize). */
  fetchSize?: number;
}

/**
 * The one door to the cluster shared by every store of a bundle: it checks
 * the bundle is open, runs every statement prepared with the configured
 * consistency, marks idempotent statements so the driver may retry or
 * speculatively re-run them, and turns driver failures into StoreErrors.
 */
export class CqlSession {
  readonly life = new Lifecycle();
  private readonly consistency: number;
  private readonly serialConsistency: number;

  constructor(
    readonly client: Client,
    /** Keyspace every table name is qualified with. */
    readonly keyspace: string,
    consistency: CassandraConsistency,
    serialConsistency: CassandraSerialConsistency,
    private readonly ownsClient: boolean,
  ) {
    this.consistency = types.consistencies[consistency];
    this.serialConsistency = types.consistencies[serialConsistency];
  }

  /** `keyspace.table`, for building statements. */
  table(name: string): string {
    return `${this.keyspace}.${name}`;
  }

  private options(idempotent: boolean, extra: QueryOptions = {}): QueryOptions {
    return {
      prepare: true,
      consistency: this.consistency,
      serialConsistency: this.serialConsistency,
      isIdempotent: idempotent,
      ...extra,
    };
  }

  /** A read returning its first page only (use with LIMIT or single-row keys). */
  async read(operation: string, query: string, params: Params): Promise<Row[]> {
    this.life.assertOpen();
    try {
      const rs = await this.client.execute(query, params, this.options(true));
      return rs.rows;
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  /** Every row of a read, fetching page after page. */
  async readAll(
    operation: string,
    query: string,
    params: Params,
    opts: ReadOptions = {},
  ): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of this.iterate(operation, query, params, opts)) rows.push(row);
    return rows;
  }

  /** Rows of a read, fetched one page at a time as the caller consumes them. */
  async *iterate(
    operation: string,
    query: string,
    params: Params,
    opts: ReadOptions = {},
  ): AsyncGenerator<Row> {
    let pageState: string | undefined;
    do {
      this.life.assertOpen();
      let rs: types.ResultSet;
      try {
        rs = await this.client.execute(
          query,
          params,
          this.options(true, {
            fetchSize: opts.fetchSize ?? 1000,
            autoPage: false,
            ...(pageState === undefined ? {} : { pageState }),
          }),
        );
      } catch (err) {
        throw toStoreError(err, operation);
      }
      yield* rs.rows;
      pageState = rs.pageState ? rs.pageState : undefined;
    } while (pageState !== undefined);
  }

  /** A plain write (upsert or delete without condition): idempotent. */
  async write(operation: string, query: string, params: Params): Promise<void> {
    this.life.assertOpen();
    try {
      await this.client.execute(query, params, this.options(true));
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  /** A lightweight transaction (INSERT ... IF NOT EXISTS, UPDATE ... IF ...); returns whether it applied. */
  async cas(
    operation: string,
    query: string,
    params: Params,
  ): Promise<{ applied: boolean; rows: Row[] }> {
    this.life.assertOpen();
    try {
      const rs = await this.client.execute(query, params, this.options(false));
      return { applied: rs.wasApplied(), rows: rs.rows };
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  /**
   * A conditional batch: every statement targets the same partition of the
   * same table, and it applies atomically (all or nothing) when its
   * conditions hold. Returns whether it applied.
   */
  async casBatch(operation: string, statements: Statement[]): Promise<boolean> {
    this.life.assertOpen();
    try {
      const rs = await this.client.batch(statements, {
        ...this.options(false),
        logged: false,
      });
      return rs.wasApplied();
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  /**
   * A batch without conditions. Logged batches make a multi-partition write
   * all-or-nothing (eventually, via the batchlog); unlogged ones are for
   * statements on one partition, which Cassandra applies atomically anyway.
   */
  async batch(
    operation: string,
    statements: Statement[],
    kind: 'logged' | 'unlogged' | 'counter',
  ): Promise<void> {
    if (statements.length === 0) return;
    this.life.assertOpen();
    try {
      await this.client.batch(statements, {
        ...this.options(kind !== 'counter'),
        logged: kind === 'logged',
        counter: kind === 'counter',
      });
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  /** A counter update: not idempotent, so never retried by the driver. */
  async counter(operation: string, query: string, params: Params): Promise<void> {
    this.life.assertOpen();
    try {
      await this.client.execute(query, params, { ...this.options(false), counter: true });
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  async close(): Promise<void> {
    if (this.life.closed) return;
    this.life.markClosed();
    if (!this.ownsClient) return;
    try {
      await this.client.shutdown();
    } catch (err) {
      throw toStoreError(err, 'close');
    }
  }
}
