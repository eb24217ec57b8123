/**
 * A parser for the small dialect of SQLite DDL that src/store/schema.ts is
 * written in: CREATE TABLE, CREATE [UNIQUE] INDEX and ALTER TABLE ADD COLUMN,
 * with the four storage types. It exists so the PostgreSQL schema is derived
 * from the same migration list (src/store/pg/pg-migrations.ts) rather than
 * kept by hand beside it. Anything outside that dialect is a DdlError naming
 * the statement: a migration that PostgreSQL cannot follow fails the build's
 * tests, never a user's database.
 */
import { ShadowgateError } from '../../shared/errors.js';

/** The declared types the translator knows; anything else is refused. */
export type SqliteType = 'TEXT' | 'INTEGER' | 'REAL' | 'BLOB';
const SQLITE_TYPES: ReadonlySet<string> = new Set<SqliteType>(['TEXT', 'INTEGER', 'REAL', 'BLOB']);

export interface ColumnDef {
  name: string;
  type: SqliteType;
  notNull: boolean;
  primaryKey: boolean;
  /** `INTEGER PRIMARY KEY` (with or without AUTOINCREMENT): SQLite assigns it when the insert leaves it out. */
  generated: boolean;
  unique: boolean;
  /** The literal as written (`0`, `'x'`, `NULL`), or null when there is no DEFAULT. */
  defaultValue: string | null;
  /** The expression inside CHECK ( ... ), as written. */
  check: string | null;
  references: { table: string; column: string } | null;
}

export type TableConstraint =
  | { kind: 'primary_key' | 'unique'; columns: string[] }
  | { kind: 'check'; expr: string }
  | { kind: 'foreign_key'; columns: string[]; table: string; refColumns: string[] };

export type DdlStatement =
  | { kind: 'create_table'; table: string; columns: ColumnDef[]; constraints: TableConstraint[] }
  | {
      kind: 'create_index';
      name: string;
      table: string;
      unique: boolean;
      ifNotExists: boolean;
      columns: { name: string; order: 'ASC' | 'DESC' | null }[];
    }
  | { kind: 'add_column'; table: string; column: ColumnDef };

/** A migration the translator cannot follow. `migration` is the schema version it brings the store to. */
export class DdlError extends ShadowgateError {
  constructor(
    readonly migration: number,
    problem: string,
    statement: string,
  ) {
    const head = statement.replace(/\s+/g, ' ').trim().slice(0, 60);
    super(
      'ddl_untranslatable',
      `migration ${migration} (schema version ${migration}): ${problem} in "${head}"`,
    );
  }
}

interface Token {
  kind: 'word' | 'number' | 'string' | 'quoted' | 'punct';
  text: string;
  start: number;
  end: number;
}

/** Words a CHECK expression may use besides its table's columns. */
const CHECK_KEYWORDS = new Set(['IN', 'NOT', 'AND', 'OR', 'IS', 'NULL', 'BETWEEN', 'LIKE']);
/** Functions that mean the same in SQLite and PostgreSQL. */
const CHECK_FUNCTIONS = new Set(['LENGTH', 'LOWER', 'UPPER', 'ABS', 'COALESCE']);
const CHECK_OPERATORS = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '||',
  '(',
  ')',
  ',',
]);
/**
 * PostgreSQL's reserved key words (the ones that cannot be a column name
 * unquoted). The translator emits names unquoted, as schema.ts writes them,
 * so a name from this list would be a different statement in PostgreSQL.
 */
const PG_RESERVED = new Set(
  `all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation
  column concurrently constraint create cross current_catalog current_date current_role current_schema current_time
  current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze
  from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit
  localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references
  returning right select session_user similar some symmetric system_user table tablesample then to trailing true union
  unique user using variadic verbose when where window with`.split(/\s+/),
);

/**
 * Parses one migration's SQL into statements. `migration` names it in errors
 * (1-based: the version it brings the store to); `tables` holds the columns
 * of the tables earlier migrations made, for ALTER TABLE.
 */
export function parseMigration(
  sql: string,
  migration: number,
  tables: ReadonlyMap<string, readonly string[]> = new Map(),
): DdlStatement[] {
  const known = new Map(tables);
  const statements: DdlStatement[] = [];
  for (const tokens of splitStatements(tokenize(sql, migration))) {
    const text = sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
    const statement = new StatementParser(tokens, sql, text, migration, known).parse();
    if (statement.kind === 'create_table') {
      if (known.has(statement.table))
        throw new DdlError(migration, `table ${statement.table} exists already`, text);
      known.set(
        statement.table,
        statement.columns.map((c) => c.name),
      );
    } else if (statement.kind === 'add_column') {
      known.set(statement.table, [...known.get(statement.table)!, statement.column.name]);
    }
    statements.push(statement);
  }
  return statements;
}

function tokenize(sql: string, migration: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new DdlError(migration, 'an unclosed /* comment', sql.slice(i));
      i = close + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new DdlError(migration, `an unclosed ${c}`, sql.slice(i));
        if (sql[j] === close && sql[j + 1] === close && c !== '[') j += 2;
        else if (sql[j] === close) break;
        else j++;
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: sql.slice(i, j + 1), start: i, end: j + 1 });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'word', text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i));
      if (!m) throw new DdlError(migration, `an unexpected "${c}"`, sql.slice(i));
      tokens.push({ kind: 'number', text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else {
      const two = sql.slice(i, i + 2);
      const text = ['<>', '!=', '<=', '>=', '||', '=='].includes(two) ? two : c;
      tokens.push({ kind: 'punct', text, start: i, end: i + text.length });
      i += text.length;
    }
  }
  return tokens;
}

function splitStatements(tokens: Token[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';') {
      if (current.length > 0) out.push(current);
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

class StatementParser {
  private i = 0;
  /** Columns known so far in the table being created, for CHECK expressions. */
  private columns = new Set<string>();

  constructor(
    private readonly tokens: Token[],
    private readonly sql: string,
    private readonly text: string,
    private readonly migration: number,
    private readonly tables: ReadonlyMap<string, readonly string[]>,
  ) {}

  parse(): DdlStatement {
    this.expectWord('CREATE', 'ALTER');
    const first = this.tokens[0]!.text.toUpperCase();
    const statement = first === 'ALTER' ? this.alterTable() : this.create();
    if (this.i < this.tokens.length) this.fail(`unexpected "${this.peek()!.text}"`);
    return statement;
  }

  private create(): DdlStatement {
    const word = this.expectWord('TABLE', 'INDEX', 'UNIQUE').toUpperCase();
    if (word === 'TABLE') return this.createTable();
    if (word === 'UNIQUE') this.expectWord('INDEX');
    return this.createIndex(word === 'UNIQUE');
  }

  private createTable(): DdlStatement {
    if (this.acceptWord('IF')) this.fail('CREATE TABLE IF NOT EXISTS (a migration runs exactly once)');
    const table = this.name('table');
    this.expect('(');
    const columns: ColumnDef[] = [];
    const constraints: TableConstraint[] = [];
    do {
      const next = this.peek()?.text.toUpperCase();
      if (
        next === 'PRIMARY' ||
        next === 'UNIQUE' ||
        next === 'CHECK' ||
        next === 'FOREIGN' ||
        next === 'CONSTRAINT'
      )
        constraints.push(this.tableConstraint());
      else columns.push(this.column());
    } while (this.accept(','));
    this.expect(')');
    while (this.peek()) {
      const option = this.expectWord('WITHOUT', 'STRICT').toUpperCase();
      if (option === 'WITHOUT') this.expectWord('ROWID');
      this.accept(',');
    }
    for (const c of constraints) {
      const named = c.kind === 'check' ? [] : c.columns;
      for (const n of named)
        if (!this.columns.has(n)) this.fail(`table constraint names unknown column ${n}`);
    }
    return { kind: 'create_table', table, columns, constraints };
  }

  private createIndex(unique: boolean): DdlStatement {
    let ifNotExists = false;
    if (this.acceptWord('IF')) {
      this.expectWord('NOT');
      this.expectWord('EXISTS');
      ifNotExists = true;
    }
    const name = this.name('index');
    this.expectWord('ON');
    const table = this.name('table');
    this.expect('(');
    const columns: { name: string; order: 'ASC' | 'DESC' | null }[] = [];
    do {
      const column = this.name('column');
      const order = this.acceptWord('ASC') ? 'ASC' : this.acceptWord('DESC') ? 'DESC' : null;
      columns.push({ name: column, order });
    } while (this.accept(','));
    this.expect(')');
    if (this.peek()) this.fail('an index clause after the column list (WHERE, COLLATE)');
    return { kind: 'create_index', name, table, unique, ifNotExists, columns };
  }

  private alterTable(): DdlStatement {
    this.expectWord('TABLE');
    const table = this.name('table');
    const existing = this.tables.get(table);
    if (!existing) this.fail(`ALTER TABLE of ${table}, which no earlier statement creates`);
    const action = this.expectWord('ADD', 'RENAME', 'DROP').toUpperCase();
    if (action !== 'ADD')
      this.fail(`ALTER TABLE ${action} (tables and columns are a contract: extend, never rename or drop)`);
    this.acceptWord('COLUMN');
    this.columns = new Set(existing);
    const column = this.column();
    if (column.primaryKey || column.unique) this.fail(`ALTER TABLE ADD COLUMN ${column.name} with a key`);
    if (column.notNull && column.defaultValue === null)
      this.fail(`ALTER TABLE ADD COLUMN ${column.name} NOT NULL without a DEFAULT`);
    return { kind: 'add_column', table, column };
  }

  private column(): ColumnDef {
    const name = this.name('column');
    if (this.columns.has(name)) this.fail(`column ${name} exists already`);
    const typeToken = this.peek();
    if (typeToken?.kind !== 'word' || !SQLITE_TYPES.has(typeToken.text.toUpperCase()))
      this.fail(`column ${name} needs one of the types ${[...SQLITE_TYPES].join(', ')}`);
    this.i++;
    if (this.peek()?.text === '(') this.fail(`column ${name}: a type with a size`);
    const def: ColumnDef = {
      name,
      type: typeToken!.text.toUpperCase() as SqliteType,
      notNull: false,
      primaryKey: false,
      generated: false,
      unique: false,
      defaultValue: null,
      check: null,
      references: null,
    };
    this.columns.add(name);
    for (;;) {
      const t = this.peek();
      if (!t || t.text === ',' || t.text === ')') break;
      const word = this.expectWord(
        'NOT',
        'PRIMARY',
        'UNIQUE',
        'DEFAULT',
        'CHECK',
        'REFERENCES',
        'NULL',
      ).toUpperCase();
      if (word === 'NOT') {
        this.expectWord('NULL');
        def.notNull = true;
      } else if (word === 'PRIMARY') {
        this.expectWord('KEY');
        def.primaryKey = true;
        if (this.acceptWord('AUTOINCREMENT') && def.type !== 'INTEGER')
          this.fail(`column ${name}: AUTOINCREMENT on a ${def.type} column`);
        def.generated = def.type === 'INTEGER';
      } else if (word === 'UNIQUE') {
        def.unique = true;
      } else if (word === 'DEFAULT') {
        def.defaultValue = this.literal(name);
      } else if (word === 'CHECK') {
        def.check = this.checkExpression();
      } else if (word === 'REFERENCES') {
        const table = this.name('table');
        this.expect('(');
        const column = this.name('column');
        this.expect(')');
        def.references = { table, column };
      }
    }
    return def;
  }

  private tableConstraint(): TableConstraint {
    if (this.acceptWord('CONSTRAINT')) this.fail('a named constraint');
    const word = this.expectWord('PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN').toUpperCase();
    if (word === 'CHECK') return { kind: 'check', expr: this.checkExpression() };
    if (word === 'PRIMARY' || word === 'FOREIGN') this.expectWord('KEY');
    const columns = this.nameList();
    if (word !== 'FOREIGN') return { kind: word === 'PRIMARY' ? 'primary_key' : 'unique', columns };
    this.expectWord('REFERENCES');
    const table = this.name('table');
    return { kind: 'foreign_key', columns, table, refColumns: this.nameList() };
  }

  private nameList(): string[] {
    this.expect('(');
    const names: string[] = [];
    do names.push(this.name('column'));
    while (this.accept(','));
    this.expect(')');
    return names;
  }

  /** DEFAULT: a number, a string or NULL, the same value in both engines. */
  private literal(column: string): string {
    const t = this.peek();
    let sign = '';
    if (t?.text === '-' || t?.text === '+') {
      sign = t.text === '-' ? '-' : '';
      this.i++;
    }
    const v = this.peek();
    if (v && (v.kind === 'number' || (sign === '' && v.kind === 'string'))) {
      this.i++;
      return sign + v.text;
    }
    if (v && sign === '' && v.kind === 'word' && v.text.toUpperCase() === 'NULL') {
      this.i++;
      return 'NULL';
    }
    this.fail(`column ${column}: DEFAULT ${v?.text ?? ''} (only a number, a string or NULL translates)`);
  }

  /** CHECK ( expr ): returns expr as written, after making sure PostgreSQL reads it the same. */
  private checkExpression(): string {
    const open = this.expect('(');
    let depth = 1;
    let close: Token | undefined;
    while (depth > 0) {
      const t = this.tokens[this.i++];
      if (!t) this.fail('an unclosed CHECK (');
      if (t!.text === '(') depth++;
      else if (t!.text === ')') depth--;
      if (depth === 0) {
        close = t;
        break;
      }
      this.checkToken(t!, this.tokens[this.i]);
    }
    return this.sql.slice(open.end, close!.start).trim();
  }

  private checkToken(t: Token, next: Token | undefined): void {
    if (t.kind === 'string' || t.kind === 'number') return;
    if (t.kind === 'quoted')
      this.fail(`CHECK uses ${t.text} (double quotes are an identifier in PostgreSQL)`);
    if (t.kind === 'punct') {
      if (!CHECK_OPERATORS.has(t.text)) this.fail(`CHECK uses the operator ${t.text}`);
      return;
    }
    const upper = t.text.toUpperCase();
    if (next?.text === '(' && !CHECK_KEYWORDS.has(upper)) {
      if (!CHECK_FUNCTIONS.has(upper))
        this.fail(`CHECK calls ${t.text}(), not known to mean the same in PostgreSQL`);
      return;
    }
    if (CHECK_KEYWORDS.has(upper) || this.columns.has(t.text)) return;
    this.fail(`CHECK uses ${t.text}, neither a column of the table nor a key word the translator knows`);
  }

  private name(what: string): string {
    const t = this.tokens[this.i];
    if (t?.kind !== 'word') this.fail(`a ${what} name expected${t ? `, got ${t.text}` : ''}`);
    if (!/^[a-z_][a-z0-9_]*$/.test(t!.text))
      this.fail(`${what} name ${t!.text} (lower case only: PostgreSQL folds unquoted names)`);
    if (PG_RESERVED.has(t!.text)) this.fail(`${what} name ${t!.text} is a reserved word in PostgreSQL`);
    this.i++;
    return t!.text;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private accept(punct: string): boolean {
    if (this.peek()?.text !== punct) return false;
    this.i++;
    return true;
  }

  private expect(punct: string): Token {
    const t = this.peek();
    if (t?.text !== punct) this.fail(`"${punct}" expected${t ? `, got "${t.text}"` : ''}`);
    this.i++;
    return t!;
  }

  private acceptWord(word: string): boolean {
    const t = this.peek();
    if (t?.kind !== 'word' || t.text.toUpperCase() !== word) return false;
    this.i++;
    return true;
  }

  private expectWord(...words: string[]): string {
    const t = this.peek();
    if (t?.kind !== 'word' || !words.includes(t.text.toUpperCase()))
      this.fail(`${words.join(' or ')} expected${t ? `, got "${t.text}"` : ''}`);
    this.i++;
    return t!.text;
  }

  private fail(problem: string): never {
    throw new DdlError(this.migration, problem, this.text);
  }
}
