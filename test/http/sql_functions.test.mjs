// sql_functions.test.mjs - every SQL function of the schema has its one home, sql/functions/<name>.sql
// (sql/README.md): a function added in a migration without its file fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { psql, ROOT } from '../lib/stack.mjs';

const DIR = path.join(ROOT, 'sql', 'functions');

// Functions of schema public, but not those of an extension. The seeding helpers of demo.sql and
// seed_large.sql live in pg_temp and are gone with their session.
function dbFunctions() {
  const out = psql(`SELECT coalesce(json_agg(json_build_object('name', p.proname, 'sig', p.oid::regprocedure::text,
      'src', p.prosrc) ORDER BY p.proname), '[]')
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                        AND d.deptype = 'e')`);
  return JSON.parse(out);
}

// The names a file defines: CREATE OR REPLACE FUNCTION name( (optionally public.name).
function definedIn(text) {
  return [...text.matchAll(/CREATE\s+OR\s+REPLACE\s+FUNCTION\s+(?:public\.)?(\w+)\s*\(/gi)].map((m) => m[1].toLowerCase());
}

test('every function in the database has sql/functions/<name>.sql, and its body there is the one in force', () => {
  const fns = dbFunctions();
  assert.ok(fns.length >= 16, `expected the schema's functions, got ${fns.length}`);
  const missing = [], stale = [];
  for (const f of fns) {
    const file = path.join(DIR, `${f.name}.sql`);
    if (!existsSync(file)) { missing.push(f.sig); continue; }
    const text = readFileSync(file, 'utf8');
    if (!definedIn(text).includes(f.name)) missing.push(`${f.sig} (the file does not create it)`);
    else if (!text.includes(f.src)) stale.push(f.sig);
  }
  // missing: no sql/functions/<name>.sql creates them; stale: their body in the database is not the file's
  assert.deepEqual({ missing, stale }, { missing: [], stale: [] });
});

test('each sql/functions file defines only the function it is named after, with CREATE OR REPLACE', () => {
  const inDb = new Set(dbFunctions().map((f) => f.name));
  for (const name of readdirSync(DIR).filter((n) => n.endsWith('.sql'))) {
    const fn = name.slice(0, -4);
    const text = readFileSync(path.join(DIR, name), 'utf8');
    const defined = definedIn(text);
    assert.ok(defined.length > 0, `${name} holds no CREATE OR REPLACE FUNCTION`);
    assert.deepEqual([...new Set(defined)], [fn], `${name} defines ${defined.join(', ')}`);
    assert.doesNotMatch(text.replace(/CREATE\s+OR\s+REPLACE\s+FUNCTION/gi, ''), /CREATE\s+FUNCTION/i,
      `${name}: a plain CREATE FUNCTION fails on the second run`);
    assert.ok(inDb.has(fn), `${fn} from ${name} is not in the database`);
  }
});
