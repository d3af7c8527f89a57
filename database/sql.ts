// The `sql` tagged template: builds statements whose values are always bound, never interpolated (database worker).
import type Database from 'better-sqlite3';

/** A statement fragment: SQL text with `?` placeholders and the values bound to them, in order. */
export interface Sql {
  readonly text: string;
  readonly values: readonly unknown[];
  readonly __sql: true;
}

function isSql(value: unknown): value is Sql {
  return typeof value === 'object' && value !== null && (value as { __sql?: unknown }).__sql === true;
}

/** Tagged template: `${value}` becomes a bound `?`; a nested `sql` fragment is spliced with its values. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0] ?? '';
  const bound: unknown[] = [];
  values.forEach((value, i) => {
    if (isSql(value)) {
      text += value.text;
      bound.push(...value.values);
    } else {
      text += '?';
      bound.push(value);
    }
    text += strings[i + 1] ?? '';
  });
  return { text, values: bound, __sql: true };
}

/** Joins fragments with a separator (e.g. `' AND '`). */
export function join(parts: readonly Sql[], separator: string): Sql {
  return { text: parts.map((p) => p.text).join(separator), values: parts.flatMap((p) => p.values), __sql: true };
}

/** Trusted SQL text from a fixed allow-list in code (column names, sort directions); never user input. */
export function trusted(text: string): Sql {
  return { text, values: [], __sql: true };
}

/** `(?, ?, ?)` list for an IN clause; an empty list gives `(NULL)`, which matches nothing. */
export function list(values: readonly unknown[]): Sql {
  if (values.length === 0) return trusted('(NULL)');
  return { text: `(${values.map(() => '?').join(', ')})`, values: [...values], __sql: true };
}

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A prepared statement for `text`, cached per connection. */
export function prepare(db: Database.Database, text: string): Database.Statement {
  let byText = cache.get(db);
  if (!byText) {
    byText = new Map();
    cache.set(db, byText);
  }
  let statement = byText.get(text);
  if (!statement) {
    statement = db.prepare(text);
    if (byText.size > 500) byText.clear();
    byText.set(text, statement);
  }
  return statement;
}

/** Every row of a query. */
export function all<T>(db: Database.Database, query: Sql): T[] {
  return prepare(db, query.text).all(...query.values) as T[];
}

/** The rows of a query one at a time (large reads without materialising every row first). */
export function each<T>(db: Database.Database, query: Sql): IterableIterator<T> {
  return prepare(db, query.text).iterate(...query.values) as IterableIterator<T>;
}

/** The first row of a query, or undefined. */
export function get<T>(db: Database.Database, query: Sql): T | undefined {
  return prepare(db, query.text).get(...query.values) as T | undefined;
}

/** Runs a write; returns changes and the last rowid. */
export function run(db: Database.Database, query: Sql): { changes: number; lastInsertRowid: number } {
  const info = prepare(db, query.text).run(...query.values);
  return { changes: info.changes, lastInsertRowid: Number(info.lastInsertRowid) };
}
