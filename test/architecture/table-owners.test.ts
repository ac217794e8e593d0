import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Which folder of `src/` owns each table: the only one whose code names it in a query. Every other
 * module reads and writes it through what the owner exports (docs/architecture.md, "Tables").
 */
const OWNERS: Readonly<Record<string, readonly string[]>> = {
  store: ['leases'],
  'event-log': ['events', 'anonymous_counts'],
  pipeline: ['cursors'],
  identity: [
    'profiles',
    'identifiers',
    'identity_links',
    'identity_decisions',
    'profile_events',
    'erasure_receipts',
    'data_exports',
  ],
  consent: ['consent_ledger', 'consent_chain', 'consent_subjects', 'consent_subject_index', 'consent_states'],
  journeys: ['journeys', 'purchases', 'triggers', 'trigger_caps'],
  delivery: ['deliveries', 'destination_states', 'delivery_attempt_counts'],
  ingest: ['webhook_deliveries'],
  reports: ['gap_report_days'],
  shopify: ['shopify_imports', 'shopify_installations'],
  storefront: ['consent_banner_counts'],
  scanner: ['scans'],
  web: ['dashboard_sessions'],
};

const SRC = path.resolve(import.meta.dirname, '../../src');
const SCHEMA = readFileSync(path.join(SRC, 'store/schema.ts'), 'utf8');
const TABLES = [...SCHEMA.matchAll(/^ {2}([a-z_]+): \w+Table;$/gm)].map((m) => m[1]!);
const ownerOf = new Map(Object.entries(OWNERS).flatMap(([folder, tables]) => tables.map((t) => [t, folder])));

/** Source files outside the migrations, which create every table and own none. */
function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.tsx?$/.test(name) && !name.startsWith(`store${path.sep}migrations`))
    .map((name) => path.join(SRC, name));
}

/** A query whose table is a variable (`trx.deleteFrom(table)`), not a literal nor a view's call. */
const DYNAMIC_TABLE =
  /\.(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*[A-Za-z_$][\w$]*\s*[),]/;

/**
 * Tables a file names in a query builder call or in raw SQL (a `sql` template). Where a file queries a
 * table held in a variable, every table it names in quotes counts as queried.
 */
function tablesQueriedIn(text: string): Set<string> {
  const named = new Set<string>();
  const dynamic = DYNAMIC_TABLE.test(text);
  const rawSql = [...text.matchAll(/\bsql`([^`]*)`/g)].map((m) => m[1]!).join('\n');
  for (const table of TABLES) {
    const builder = new RegExp(
      String.raw`\.(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*'${table}(?:\s+as\s+\w+)?'`,
    );
    const raw = new RegExp(String.raw`\b(?:from|into|update|join)\s+${table}\b`, 'i');
    if (builder.test(text) || raw.test(rawSql) || (dynamic && text.includes(`'${table}'`))) named.add(table);
  }
  return named;
}

describe('tables and their owners', () => {
  it('gives every table of the schema one owner', () => {
    expect(TABLES.length).toBeGreaterThan(20);
    expect(TABLES.filter((table) => !ownerOf.has(table))).toEqual([]);
    expect([...ownerOf.keys()].filter((table) => !TABLES.includes(table))).toEqual([]);
  });

  it('has no module query a table another module owns', () => {
    const trespasses: string[] = [];
    for (const file of sourceFiles()) {
      const relative = path.relative(SRC, file).split(path.sep).join('/');
      for (const table of tablesQueriedIn(readFileSync(file, 'utf8'))) {
        const owner = ownerOf.get(table)!;
        if (!relative.startsWith(`${owner}/`))
          trespasses.push(`${relative} queries ${table} (owned by ${owner}/)`);
      }
    }
    expect(trespasses).toEqual([]);
  });

  it('recognises a query in each form it looks for', () => {
    expect(tablesQueriedIn(`db.selectFrom('triggers').select('id')`)).toEqual(new Set(['triggers']));
    expect(tablesQueriedIn(`q.innerJoin('profiles as p', 'p.id', 'x.profile_id')`)).toEqual(
      new Set(['profiles']),
    );
    expect(tablesQueriedIn('sql`delete from purchases where at < ${t}`')).toEqual(new Set(['purchases']));
    expect(tablesQueriedIn(`db.selectFrom('triggers_view')`)).toEqual(new Set());
    expect(tablesQueriedIn('/** A token from Events Manager. */')).toEqual(new Set());
    expect(
      tablesQueriedIn(
        `for (const table of ['scans', 'leases'] as const) await trx.deleteFrom(table).execute();`,
      ),
    ).toEqual(new Set(['scans', 'leases']));
    expect(tablesQueriedIn(`db.selectFrom(firedTriggers(db).as('t')).where('stage', '=', 'cart')`)).toEqual(
      new Set(),
    );
  });
});
