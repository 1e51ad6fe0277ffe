/**
 * A small static checker for the CQL the Cassandra backend sends, used by
 * its unit tests (there is no server to reject a bad statement on this
 * machine). It parses the CREATE TABLE statements of the migrations and
 * checks a statement against the rules Cassandra enforces for the shapes
 * used here: known tables and columns, the whole partition key restricted
 * by equality, clustering restrictions as a prefix (equalities, then at most
 * one range or IN column), ORDER BY following the clustering order or its
 * exact reverse, INSERTs naming the whole primary key, UPDATE/DELETE
 * addressing a full row unless they only touch static columns, conditions
 * (IF) on non-key columns.
 */

export interface TableDef {
  columns: Map<string, { type: string; static: boolean }>;
  partition: string[];
  clustering: string[];
  /** true = DESC, per clustering column. */
  descending: boolean[];
}

/** Splits at commas that are not inside (), <> or quotes. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of s) {
    if (c === '(' || c === '<') depth++;
    if (c === ')' || c === '>') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

export function parseSchema(statements: readonly string[]): Map<string, TableDef> {
  const tables = new Map<string, TableDef>();
  for (const raw of statements) {
    const s = norm(raw);
    const alter = /^ALTER TABLE (\w+) ADD (\w+) (\w+)( static)?$/i.exec(s);
    if (alter) {
      const def = tables.get(alter[1]!);
      if (!def) throw new Error(`ALTER TABLE of unknown table ${alter[1]}`);
      if (def.columns.has(alter[2]!)) throw new Error(`column ${alter[2]} already exists`);
      def.columns.set(alter[2]!, { type: alter[3]!, static: alter[4] !== undefined });
      continue;
    }
    const m = /^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\)(?: WITH (.*))?$/i.exec(s);
    if (!m) continue;
    const def: TableDef = { columns: new Map(), partition: [], clustering: [], descending: [] };
    for (const part of splitTopLevel(m[2]!)) {
      const pk = /^PRIMARY KEY \((.*)\)$/i.exec(part);
      if (pk) {
        const keys = splitTopLevel(pk[1]!);
        const first = keys[0]!;
        def.partition = first.startsWith('(') ? splitTopLevel(first.slice(1, -1)) : [first];
        def.clustering = keys.slice(1);
        continue;
      }
      const col = /^(\w+) (.+?)( static)?( PRIMARY KEY)?$/i.exec(part);
      if (!col) throw new Error(`cannot parse column definition "${part}"`);
      def.columns.set(col[1]!, { type: col[2]!, static: col[3] !== undefined });
      if (col[4] !== undefined) def.partition = [col[1]!];
    }
    def.descending = def.clustering.map(() => false);
    const order = m[3] ? /CLUSTERING ORDER BY \((.*?)\)/i.exec(m[3]) : null;
    if (order) {
      for (const entry of splitTopLevel(order[1]!)) {
        const [name, dir] = entry.split(' ');
        const i = def.clustering.indexOf(name!);
        if (i < 0) throw new Error(`clustering order names unknown column ${name}`);
        def.descending[i] = /^desc$/i.test(dir ?? '');
      }
    }
    tables.set(m[1]!, def);
  }
  return tables;
}

interface Relation {
  column: string;
  op: string;
}

function parseWhere(where: string): Relation[] {
  return where.split(/ AND /i).map((rel) => {
    const m = /^(\w+) (=|>=|<=|>|<|IN) (\?|'[^']*'|-?\d+)$/i.exec(rel.trim());
    if (!m) throw new Error(`cannot parse relation "${rel}"`);
    return { column: m[1]!, op: m[2]!.toUpperCase() };
  });
}

/** Returns the problems found in `query` (empty when it passes). `keyspace` prefixes every table. */
export function checkCql(query: string, schema: Map<string, TableDef>, keyspace: string): string[] {
  const errors: string[] = [];
  const q = norm(query);
  const tableOf = (name: string): TableDef | undefined => {
    if (!name.startsWith(`${keyspace}.`)) {
      errors.push(`table ${name} is not qualified with ${keyspace}`);
      return undefined;
    }
    const def = schema.get(name.slice(keyspace.length + 1));
    if (!def) errors.push(`unknown table ${name}`);
    return def;
  };
  const known = (def: TableDef, column: string, where: string) => {
    if (!def.columns.has(column)) errors.push(`${where}: unknown column ${column}`);
  };
  const isKey = (def: TableDef, c: string) =>
    def.partition.includes(c) || def.clustering.includes(c);

  /** Checks the WHERE clause; returns whether it names one whole row. */
  const checkWhere = (def: TableDef, where: string): boolean => {
    const rels = parseWhere(where);
    for (const r of rels) {
      known(def, r.column, 'WHERE');
      if (!isKey(def, r.column)) errors.push(`WHERE on non-key column ${r.column}`);
    }
    for (const p of def.partition) {
      if (!rels.some((r) => r.column === p && r.op === '=')) {
        errors.push(`partition key column ${p} is not restricted by =`);
      }
    }
    let open = false; // a previous clustering column is unrestricted or range-restricted
    let full = true;
    for (const c of def.clustering) {
      const ops = rels.filter((r) => r.column === c).map((r) => r.op);
      if (ops.length === 0) {
        open = true;
        full = false;
        continue;
      }
      if (open) errors.push(`clustering column ${c} restricted after an open one`);
      if (!(ops.length === 1 && ops[0] === '=')) {
        if (ops.some((op) => op === '=')) errors.push(`column ${c} mixes = with other relations`);
        open = true;
        full = false;
      }
    }
    return full;
  };

  let m: RegExpExecArray | null;
  if (
    (m =
      /^SELECT (DISTINCT )?(.+?) FROM (\S+)(?: WHERE (.+?))?(?: ORDER BY (.+?))?(?: LIMIT (\?|\d+))?$/i.exec(
        q,
      ))
  ) {
    const def = tableOf(m[3]!);
    if (!def) return errors;
    for (const col of m[2]!.split(',').map((c) => c.trim())) known(def, col, 'SELECT');
    if (m[4] === undefined) errors.push('SELECT without WHERE scans the table');
    else checkWhere(def, m[4]);
    if (m[5] !== undefined) {
      const order = m[5].split(',').map((e) => e.trim().split(' '));
      let direction: boolean | undefined;
      order.forEach(([col, dir], i) => {
        if (def.clustering[i] !== col)
          errors.push(`ORDER BY ${col} is not clustering column ${i + 1}`);
        const reversed = /^desc$/i.test(dir ?? 'ASC') !== def.descending[i];
        if (direction !== undefined && reversed !== direction) {
          errors.push('ORDER BY mixes the clustering order with its reverse');
        }
        direction = reversed;
      });
    }
    return errors;
  }
  if (
    (m = /^INSERT INTO (\S+) \((.+?)\) VALUES \((.+?)\)( IF NOT EXISTS)?( USING TTL \d+)?$/i.exec(
      q,
    ))
  ) {
    const def = tableOf(m[1]!);
    if (!def) return errors;
    const cols = m[2]!.split(',').map((c) => c.trim());
    const values = splitTopLevel(m[3]!);
    if (cols.length !== values.length) errors.push('INSERT column and value counts differ');
    for (const c of cols) known(def, c, 'INSERT');
    const onlyStatic = cols.every((c) => def.partition.includes(c) || def.columns.get(c)?.static);
    const needed = onlyStatic ? def.partition : [...def.partition, ...def.clustering];
    for (const k of needed) if (!cols.includes(k)) errors.push(`INSERT misses key column ${k}`);
    return errors;
  }
  if ((m = /^UPDATE (\S+) SET (.+?) WHERE (.+?)(?: IF (.+))?$/i.exec(q))) {
    const def = tableOf(m[1]!);
    if (!def) return errors;
    const set = m[2]!.split(',').map((a) => a.trim());
    const cols = set.map((a) => {
      const sm = /^(\w+) = (\?|\1 \+ \?|true|false|-?\d+)$/i.exec(a);
      if (!sm) errors.push(`cannot parse assignment "${a}"`);
      return sm?.[1] ?? '';
    });
    for (const c of cols) {
      known(def, c, 'SET');
      if (isKey(def, c)) errors.push(`SET of key column ${c}`);
    }
    const full = checkWhere(def, m[3]!);
    const onlyStatic = cols.every((c) => def.columns.get(c)?.static);
    if (!full && !onlyStatic) errors.push('UPDATE of regular columns must name a whole row');
    if (m[4] !== undefined) checkConditions(def, m[4], full, errors);
    return errors;
  }
  if ((m = /^DELETE FROM (\S+) WHERE (.+?)(?: IF (.+))?$/i.exec(q))) {
    const def = tableOf(m[1]!);
    if (!def) return errors;
    const full = checkWhere(def, m[2]!);
    if (m[3] !== undefined) checkConditions(def, m[3], full, errors);
    return errors;
  }
  errors.push(`unrecognised statement: ${q}`);
  return errors;
}

function checkConditions(def: TableDef, conditions: string, fullRow: boolean, errors: string[]) {
  if (/^(NOT )?EXISTS$/i.test(conditions.trim())) {
    if (!fullRow) errors.push('IF [NOT] EXISTS needs the whole primary key');
    return;
  }
  for (const cond of conditions.split(/ AND /i)) {
    const m = /^(\w+) = \?$/.exec(cond.trim());
    if (!m) {
      errors.push(`cannot parse condition "${cond}"`);
      continue;
    }
    const col = def.columns.get(m[1]!);
    if (!col) errors.push(`IF on unknown column ${m[1]}`);
    else if (def.partition.includes(m[1]!) || def.clustering.includes(m[1]!)) {
      errors.push(`IF on key column ${m[1]}`);
    } else if (!fullRow && !col.static) {
      errors.push(`IF on regular column ${m[1]} needs the whole primary key`);
    }
  }
}
