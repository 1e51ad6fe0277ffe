import { types } from 'cassandra-driver';
import { compareCodePoints } from '../../src/shared/jid-order.js';
import type { TableDef } from './cql-check.js';

/**
 * An in-process model of the part of CQL the Cassandra backend uses, with a
 * cassandra-driver-like client (`execute`, `batch`, `connect`, `shutdown`).
 * It exists so the backend's own code can run the store contract suite on a
 * machine without a Cassandra server. It models the semantics the backend
 * relies on, and is strict where Cassandra is:
 *
 * - tables from the migrations' CREATE TABLE statements, clustering order
 *   (text by UTF-8 bytes, numbers numerically, DESC columns reversed);
 * - static columns, including the static-only row a SELECT without
 *   clustering restrictions returns for a partition that has statics but
 *   no rows;
 * - INSERT (row marker), UPDATE (no marker), counters, DELETE of a row, a
 *   clustering prefix/range (statics stay) or a whole partition;
 * - lightweight transactions: IF NOT EXISTS / IF EXISTS / IF col = value
 *   (null equals a missing value); conditional batches must stay in one
 *   partition of one table and may not use IN on clustering columns;
 * - a batch applies with one timestamp: its deletions win over its writes;
 * - unset (undefined) bind values: ignored in writes, rejected in WHERE/IF;
 * - type checks of bound values; bigint/counter columns read back as Long;
 * - paging with fetchSize/pageState.
 *
 * It does not model replication, consistency levels, timestamps across
 * clients, TTLs or tombstones: passing the suite against it shows the
 * store logic is right for these semantics, not that a cluster behaves so.
 */

type Value = string | number | boolean | string[] | null;

interface RowData {
  ck: Value[];
  cells: Map<string, Value>;
  marker: boolean;
}

interface Partition {
  pk: Value[];
  statics: Map<string, Value>;
  rows: RowData[];
}

interface Relation {
  column: string;
  op: string;
  value: Value | undefined;
  values?: Value[];
}

interface Condition {
  kind: 'exists' | 'not-exists' | 'columns';
  columns: { column: string; value: Value | undefined }[];
}

interface Parsed {
  type: 'select' | 'insert' | 'update' | 'delete';
  table: string;
  def: TableDef;
  columns: string[];
  relations: Relation[];
  assignments: { column: string; value: Value | undefined; add: boolean }[];
  condition?: Condition;
  orderReversed: boolean;
  limit?: number;
}

class ModelRow {
  constructor(private readonly values: Record<string, unknown>) {
    Object.assign(this, values);
  }
  get(name: string | number): unknown {
    return typeof name === 'number' ? Object.values(this.values)[name] : this.values[name];
  }
  keys(): string[] {
    return Object.keys(this.values);
  }
}

class ModelResultSet {
  info = { isSchemaInAgreement: true };
  constructor(
    readonly rows: ModelRow[],
    readonly pageState: string | null = null,
    private readonly applied?: boolean,
  ) {}
  wasApplied(): boolean {
    return this.applied ?? true;
  }
  first(): ModelRow | null {
    return this.rows[0] ?? null;
  }
}

export class CqlModelError extends Error {
  override name = 'CqlModelError';
}

function fail(message: string): never {
  throw new CqlModelError(message);
}

export class CqlModel {
  private readonly data = new Map<string, Map<string, Partition>>();
  private closed = false;

  constructor(
    private readonly schema: Map<string, TableDef>,
    private readonly keyspace: string,
  ) {}

  async connect(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.closed = true;
  }

  /** Empties every table (the model's TRUNCATE). */
  clear(): void {
    this.data.clear();
  }

  async execute(
    query: string,
    params: unknown[] = [],
    options: { fetchSize?: number; pageState?: string } = {},
  ): Promise<ModelResultSet> {
    await Promise.resolve();
    if (this.closed) fail('client is shut down');
    const p = this.parse(query, params);
    if (p.type === 'select') return this.select(p, options);
    const applied = this.conditionsHold(p);
    if (applied) this.apply([p]);
    return p.condition ? this.casResult(applied) : new ModelResultSet([]);
  }

  async batch(
    statements: { query: string; params?: unknown[] }[],
    _options: unknown = {},
  ): Promise<ModelResultSet> {
    await Promise.resolve();
    if (this.closed) fail('client is shut down');
    const parsed = statements.map((s) => this.parse(s.query, s.params ?? []));
    if (parsed.some((p) => p.type === 'select')) fail('SELECT in a batch');
    const conditional = parsed.some((p) => p.condition);
    if (conditional) {
      const first = parsed[0]!;
      for (const p of parsed) {
        if (p.table !== first.table) fail('Batch with conditions cannot span multiple tables');
        if (this.partitionKey(p) !== this.partitionKey(first)) {
          fail('Batch with conditions cannot span multiple partitions');
        }
        if (p.relations.some((r) => r.op === 'IN')) {
          fail('IN on the clustering key columns is not supported with conditional updates');
        }
      }
      const applied = parsed.every((p) => this.conditionsHold(p));
      if (applied) this.apply(parsed);
      return this.casResult(applied);
    }
    this.apply(parsed);
    return new ModelResultSet([]);
  }

  private casResult(applied: boolean): ModelResultSet {
    return new ModelResultSet([new ModelRow({ '[applied]': applied })], null, applied);
  }

  /* ---------------------------------------------------------------- parse */

  private parse(query: string, params: unknown[]): Parsed {
    const q = query.replace(/\s+/g, ' ').trim();
    let next = 0;
    const take = (token: string, column: string | undefined, def: TableDef): Value | undefined => {
      if (token === '?') {
        if (next >= params.length) fail(`not enough bind values for: ${q}`);
        const v = params[next++];
        return v === undefined ? undefined : this.coerce(v, column, def);
      }
      if (/^'.*'$/.test(token)) return token.slice(1, -1).replace(/''/g, "'");
      if (/^-?\d+$/.test(token)) return Number(token);
      if (token === 'true' || token === 'false') return token === 'true';
      if (token === 'null') return null;
      return fail(`cannot parse value ${token}`);
    };
    const tableOf = (name: string): [string, TableDef] => {
      if (!name.startsWith(`${this.keyspace}.`)) fail(`unqualified or foreign table ${name}`);
      const table = name.slice(this.keyspace.length + 1);
      const def = this.schema.get(table);
      if (!def) fail(`unconfigured table ${table}`);
      return [table, def];
    };
    const where = (text: string, def: TableDef): Relation[] =>
      text.split(/ AND /i).map((rel) => {
        const m = /^(\w+) (=|>=|<=|>|<|IN) (\?|'[^']*'|-?\d+)$/i.exec(rel.trim());
        if (!m) fail(`cannot parse relation ${rel}`);
        const column = m[1]!;
        if (!def.columns.has(column)) fail(`Undefined column name ${column}`);
        const op = m[2]!.toUpperCase();
        if (op === 'IN') {
          const list = take(m[3]!, undefined, def);
          if (!Array.isArray(list)) fail('IN needs a list');
          return {
            column,
            op,
            value: null,
            values: (list as unknown[]).map((v) => this.coerce(v, column, def)),
          };
        }
        const value = take(m[3]!, column, def);
        if (value === undefined) fail(`Invalid unset value for column ${column}`);
        return { column, op, value };
      });
    const conditions = (text: string | undefined, def: TableDef): Condition | undefined => {
      if (text === undefined) return undefined;
      if (/^EXISTS$/i.test(text)) return { kind: 'exists', columns: [] };
      if (/^NOT EXISTS$/i.test(text)) return { kind: 'not-exists', columns: [] };
      return {
        kind: 'columns',
        columns: text.split(/ AND /i).map((c) => {
          const m = /^(\w+) = (\?|'[^']*'|-?\d+)$/.exec(c.trim());
          if (!m) fail(`cannot parse condition ${c}`);
          const value = take(m[2]!, m[1]!, def);
          if (value === undefined) fail(`Invalid 'unset' value in condition`);
          return { column: m[1]!, value };
        }),
      };
    };
    const base = { columns: [], relations: [], assignments: [], orderReversed: false };
    let m: RegExpExecArray | null;
    if (
      (m = /^SELECT (.+?) FROM (\S+) WHERE (.+?)(?: ORDER BY (.+?))?(?: LIMIT (\?|\d+))?$/i.exec(q))
    ) {
      const [table, def] = tableOf(m[2]!);
      const relations = where(m[3]!, def);
      let orderReversed = false;
      if (m[4] !== undefined) {
        const [col, dir] = m[4].split(',')[0]!.trim().split(' ');
        const i = def.clustering.indexOf(col!);
        if (i < 0) fail(`ORDER BY on non-clustering column ${col}`);
        orderReversed = /^desc$/i.test(dir ?? 'ASC') !== def.descending[i];
      }
      let limit: number | undefined;
      if (m[5] !== undefined) {
        const v = take(m[5], undefined, def);
        if (typeof v !== 'number' || v < 1) fail('LIMIT must be strictly positive');
        limit = v;
      }
      const columns = m[1]!.split(',').map((c) => c.trim());
      for (const c of columns) if (!def.columns.has(c)) fail(`Undefined column name ${c}`);
      return {
        ...base,
        type: 'select',
        table,
        def,
        columns,
        relations,
        orderReversed,
        ...(limit === undefined ? {} : { limit }),
      };
    }
    if (
      (m =
        /^INSERT INTO (\S+) \((.+?)\) VALUES \((.+?)\)( IF NOT EXISTS)?(?: USING TTL \d+)?$/i.exec(
          q,
        ))
    ) {
      const [table, def] = tableOf(m[1]!);
      const cols = m[2]!.split(',').map((c) => c.trim());
      const vals = m[3]!.split(',').map((v) => v.trim());
      if (cols.length !== vals.length) fail('column/value count mismatch');
      const assignments = cols.map((column, i) => {
        if (!def.columns.has(column)) fail(`Undefined column name ${column}`);
        return { column, value: take(vals[i]!, column, def), add: false };
      });
      const relations: Relation[] = [];
      for (const a of assignments) {
        if (def.partition.includes(a.column) || def.clustering.includes(a.column)) {
          if (a.value === undefined || a.value === null)
            fail(`Invalid null value for key ${a.column}`);
          relations.push({ column: a.column, op: '=', value: a.value });
        }
      }
      return {
        ...base,
        type: 'insert',
        table,
        def,
        relations,
        assignments: assignments.filter(
          (a) => !def.partition.includes(a.column) && !def.clustering.includes(a.column),
        ),
        ...(m[4] ? { condition: { kind: 'not-exists' as const, columns: [] } } : {}),
      };
    }
    if ((m = /^UPDATE (\S+) SET (.+?) WHERE (.+?)(?: IF (.+))?$/i.exec(q))) {
      const [table, def] = tableOf(m[1]!);
      const assignments = m[2]!.split(',').map((a) => {
        const am = /^(\w+) = (?:(\w+) \+ )?(\?|'[^']*'|-?\d+|true|false)$/.exec(a.trim());
        if (!am) fail(`cannot parse assignment ${a}`);
        if (!def.columns.has(am[1]!)) fail(`Undefined column name ${am[1]}`);
        return { column: am[1]!, value: take(am[3]!, am[1]!, def), add: am[2] !== undefined };
      });
      const relations = where(m[3]!, def);
      const condition = conditions(m[4], def);
      return {
        ...base,
        type: 'update',
        table,
        def,
        assignments,
        relations,
        ...(condition ? { condition } : {}),
      };
    }
    if ((m = /^DELETE FROM (\S+) WHERE (.+?)(?: IF (.+))?$/i.exec(q))) {
      const [table, def] = tableOf(m[1]!);
      const relations = where(m[2]!, def);
      const condition = conditions(m[3], def);
      return {
        ...base,
        type: 'delete',
        table,
        def,
        relations,
        ...(condition ? { condition } : {}),
      };
    }
    return fail(`unsupported statement: ${q}`);
  }

  private coerce(v: unknown, column: string | undefined, def: TableDef): Value {
    if (v === null) return null;
    const type = column === undefined ? undefined : def.columns.get(column)?.type;
    if (type === undefined) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      if (Array.isArray(v)) return v as string[];
      return fail(`cannot bind ${typeof v}`);
    }
    if (type === 'text') {
      if (typeof v !== 'string') fail(`${column}: expected a string, got ${typeof v}`);
      return v;
    }
    if (type === 'int' || type === 'bigint' || type === 'double' || type === 'counter') {
      if (v instanceof types.Long) return v.toNumber();
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${column}: expected a number`);
      if (type !== 'double' && !Number.isInteger(v)) fail(`${column}: expected an integer`);
      if (type === 'int' && (v < -(2 ** 31) || v >= 2 ** 31)) fail(`${column}: int out of range`);
      return v;
    }
    if (type === 'boolean') {
      if (typeof v !== 'boolean') fail(`${column}: expected a boolean`);
      return v;
    }
    if (type === 'timestamp') return v instanceof Date ? v.getTime() : fail('expected a Date');
    if (/^frozen<list<text>>$/.test(type)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        fail(`${column}: expected a list of strings`);
      return [...(v as string[])];
    }
    return fail(`unsupported column type ${type}`);
  }

  /* ------------------------------------------------------------- evaluate */

  private partitionKey(p: Parsed): string {
    return JSON.stringify(
      p.def.partition.map((c) => {
        const rel = p.relations.find((r) => r.column === c && r.op === '=');
        if (!rel) fail(`partition key column ${c} must be restricted by =`);
        return rel.value;
      }),
    );
  }

  private partition(p: Parsed, create: boolean): Partition | undefined {
    let table = this.data.get(p.table);
    if (!table) {
      if (!create) return undefined;
      this.data.set(p.table, (table = new Map()));
    }
    const key = this.partitionKey(p);
    let part = table.get(key);
    if (!part && create) {
      part = { pk: JSON.parse(key) as Value[], statics: new Map(), rows: [] };
      table.set(key, part);
    }
    return part;
  }

  private compare(def: TableDef, i: number, a: Value, b: Value): number {
    let c: number;
    // Code-point order is UTF-8 byte order, Cassandra's order of text.
    if (typeof a === 'string' && typeof b === 'string') c = compareCodePoints(a, b);
    else c = (a as number) - (b as number);
    return def.descending[i] ? -c : c;
  }

  private compareCk(def: TableDef, a: Value[], b: Value[]): number {
    for (let i = 0; i < a.length; i++) {
      const c = this.compare(def, i, a[i]!, b[i]!);
      if (c !== 0) return c;
    }
    return 0;
  }

  /** Whether a row's clustering values satisfy the relations (in natural, not declared, order). */
  private matches(def: TableDef, row: RowData, relations: Relation[]): boolean {
    return relations.every((r) => {
      const i = def.clustering.indexOf(r.column);
      if (i < 0) return true;
      const v = row.ck[i]!;
      if (r.op === 'IN') return r.values!.some((x) => this.compare(def, i, v, x) === 0 && true);
      const raw = this.compare(def, i, v, r.value!) * (def.descending[i] ? -1 : 1);
      switch (r.op) {
        case '=':
          return raw === 0;
        case '>':
          return raw > 0;
        case '>=':
          return raw >= 0;
        case '<':
          return raw < 0;
        default:
          return raw <= 0;
      }
    });
  }

  private fullCk(p: Parsed): Value[] | undefined {
    const ck: Value[] = [];
    for (const c of p.def.clustering) {
      const rel = p.relations.find((r) => r.column === c && r.op === '=');
      if (!rel) return undefined;
      ck.push(rel.value!);
    }
    return ck;
  }

  /** Index of the first row whose clustering is >= ck (rows are kept sorted). */
  private lowerBound(part: Partition, def: TableDef, ck: Value[]): number {
    let lo = 0;
    let hi = part.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareCk(def, part.rows[mid]!.ck, ck) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private findRow(part: Partition | undefined, def: TableDef, ck: Value[]): RowData | undefined {
    if (!part) return undefined;
    const row = part.rows[this.lowerBound(part, def, ck)];
    return row && this.compareCk(def, row.ck, ck) === 0 ? row : undefined;
  }

  private live(row: RowData): boolean {
    return row.marker || [...row.cells.values()].some((v) => v !== null);
  }

  private conditionsHold(p: Parsed): boolean {
    const cond = p.condition;
    if (!cond) return true;
    const part = this.partition(p, false);
    const ck = this.fullCk(p);
    const row = ck ? this.findRow(part, p.def, ck) : undefined;
    const rowLive = row !== undefined && this.live(row);
    if (cond.kind === 'exists' || cond.kind === 'not-exists') {
      if (!ck && p.def.clustering.length > 0) fail('IF [NOT] EXISTS needs the full primary key');
      return cond.kind === 'exists' ? rowLive : !rowLive;
    }
    return cond.columns.every(({ column, value }) => {
      const col = p.def.columns.get(column);
      if (!col) fail(`Undefined column name ${column}`);
      let current: Value;
      if (col.static) current = part?.statics.get(column) ?? null;
      else {
        if (!ck) fail(`IF on regular column ${column} needs the full primary key`);
        current = row?.cells.get(column) ?? null;
      }
      if (value === null || current === null) return value === current;
      return JSON.stringify(current) === JSON.stringify(value);
    });
  }

  /** Applies statements as one batch: every write first, then every deletion (same timestamp, tombstones win). */
  private apply(statements: Parsed[]): void {
    for (const p of statements) if (p.type !== 'delete') this.write(p);
    for (const p of statements) if (p.type === 'delete') this.remove(p);
  }

  private write(p: Parsed): void {
    const ck = this.fullCk(p);
    const staticOnly = p.assignments.every((a) => p.def.columns.get(a.column)!.static);
    if (!ck && !(staticOnly && p.relations.every((r) => p.def.partition.includes(r.column)))) {
      fail('writes of regular columns need the full primary key');
    }
    const part = this.partition(p, true)!;
    let row: RowData | undefined;
    if (ck && (p.type === 'insert' || !staticOnly)) {
      row = this.findRow(part, p.def, ck);
      if (!row) {
        row = { ck, cells: new Map(), marker: false };
        part.rows.splice(this.lowerBound(part, p.def, ck), 0, row);
      }
      if (p.type === 'insert') row.marker = true;
    }
    for (const a of p.assignments) {
      if (a.value === undefined) continue; // unset
      const col = p.def.columns.get(a.column)!;
      const cells = col.static ? part.statics : row!.cells;
      if (a.add) {
        if (col.type !== 'counter') fail(`${a.column} is not a counter`);
        cells.set(a.column, ((cells.get(a.column) as number | null) ?? 0) + (a.value as number));
      } else {
        if (col.type === 'counter') fail('counters can only be incremented');
        cells.set(a.column, Array.isArray(a.value) ? [...a.value] : a.value);
      }
    }
  }

  private remove(p: Parsed): void {
    const table = this.data.get(p.table);
    const part = this.partition(p, false);
    if (!table || !part) return;
    const ckRelations = p.relations.filter((r) => p.def.clustering.includes(r.column));
    if (ckRelations.length === 0) {
      table.delete(this.partitionKey(p));
      return;
    }
    part.rows = part.rows.filter((row) => !this.matches(p.def, row, ckRelations));
  }

  private select(p: Parsed, options: { fetchSize?: number; pageState?: string }): ModelResultSet {
    const part = this.partition(p, false);
    let rows: Record<string, unknown>[] = [];
    if (part) {
      const ckRelations = p.relations.filter((r) => p.def.clustering.includes(r.column));
      const matching = part.rows.filter(
        (row) => this.live(row) && this.matches(p.def, row, ckRelations),
      );
      if (p.orderReversed) matching.reverse();
      if (matching.length === 0 && ckRelations.length === 0 && part.statics.size > 0) {
        rows = [this.project(p, part, undefined)];
      } else {
        const limited = p.limit === undefined ? matching : matching.slice(0, p.limit);
        rows = limited.map((row) => this.project(p, part, row));
      }
    }
    const offset = options.pageState ? Number(options.pageState) : 0;
    const size = options.fetchSize ?? 5000;
    const page = rows.slice(offset, offset + size);
    const more = offset + size < rows.length;
    return new ModelResultSet(
      page.map((r) => new ModelRow(r)),
      more ? String(offset + size) : null,
    );
  }

  private project(p: Parsed, part: Partition, row: RowData | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const column of p.columns) {
      const col = p.def.columns.get(column)!;
      let v: Value;
      const pi = p.def.partition.indexOf(column);
      const ci = p.def.clustering.indexOf(column);
      if (pi >= 0) v = part.pk[pi]!;
      else if (ci >= 0) v = row ? row.ck[ci]! : null;
      else if (col.static) v = part.statics.get(column) ?? null;
      else v = row?.cells.get(column) ?? null;
      if (v !== null && (col.type === 'bigint' || col.type === 'counter')) {
        out[column] = types.Long.fromNumber(v as number);
      } else out[column] = Array.isArray(v) ? [...v] : v;
    }
    return out;
  }
}
