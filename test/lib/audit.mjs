// audit.mjs - find the audit rows a test's own request wrote, never "the newest row of that action".
import assert from 'node:assert/strict';
import { psql } from './stack.mjs';

const sq = (s) => `'${String(s).replace(/'/g, "''")}'`;

/* The newest audit row's id. Take it before the request; its rows are the ones after it. */
export const auditMark = () => Number(psql('SELECT coalesce(max(id), 0) FROM audit_log'));

/* The id of a staff user, for matching actor_id. */
export const staffId = (email) => Number(psql(`SELECT id FROM staff_users WHERE email = ${sq(email)}`));

/*
 * The audit rows written after mark, oldest first, as {id, actor_kind, actor_id, portal_id,
 * action, detail}. match narrows them: action, actor_kind, actor_id, portal_id (equal), setting
 * (detail->>'setting'), detail (a JSON object the row's detail contains, jsonb @>).
 */
export function auditSince(mark, match = {}) {
  const where = [`id > ${Number(mark)}`];
  for (const k of ['action', 'actor_kind']) if (match[k] !== undefined) where.push(`${k} = ${sq(match[k])}`);
  for (const k of ['actor_id', 'portal_id']) {
    if (match[k] === null) where.push(`${k} IS NULL`);
    else if (match[k] !== undefined) where.push(`${k} = ${Number(match[k])}`);
  }
  if (match.setting !== undefined) where.push(`detail->>'setting' = ${sq(match.setting)}`);
  if (match.detail !== undefined) where.push(`detail @> ${sq(JSON.stringify(match.detail))}::jsonb`);
  const out = psql(`SELECT coalesce(json_agg(r ORDER BY r.id), '[]') FROM (SELECT id, actor_kind, actor_id, portal_id,
    action, detail FROM audit_log WHERE ${where.join(' AND ')}) r`);
  return JSON.parse(out);
}

/* The one audit row after mark that matches; fails (listing what is there) unless exactly one. */
export function oneAudit(mark, match) {
  const rows = auditSince(mark, match);
  if (rows.length !== 1) {
    const all = auditSince(mark).map((r) => `#${r.id} ${r.actor_kind}/${r.actor_id} ${r.action} ${JSON.stringify(r.detail)}`);
    assert.fail(`expected exactly one audit row matching ${JSON.stringify(match)} after #${mark}, found ${rows.length}; `
      + `rows after the mark: ${all.length ? all.join('; ') : 'none'}`);
  }
  return rows[0];
}
