// A JS wasi:http guest importing Spin's SQLite interfaces (every version
// Spin links), a thin JSON bridge for the end-to-end test:
//   POST /<anything>/v1|v2|v3  {"db": "default", "steps": [{"sql": "...", "params": [["integer", "5"], ...]}]}
// opens `db` with that version, runs each step on the one connection and
// answers {"results": [{"ok": {"columns": [...], "rows": [[[kind, value], ...]]}, "changes": "N",
// "rowid": "N"} | {"err": {"tag": ..., "val": ...}}]} or {"open": {"tag": ..., "val": ...}} when
// open fails. Integers travel as decimal strings (s64), blobs as hex.
import { Connection as V2 } from 'fermyon:spin/sqlite@2.0.0';
import { Connection as V3 } from 'spin:sqlite/sqlite@3.0.0';
import * as v1 from 'fermyon:spin/sqlite';

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

function toWit([kind, v]) {
  switch (kind) {
    case 'integer': return { tag: 'integer', val: BigInt(v) };
    case 'real': return { tag: 'real', val: v };
    case 'text': return { tag: 'text', val: v };
    case 'blob': return { tag: 'blob', val: unhex(v) };
    default: return { tag: 'null' };
  }
}

function fromWit(v) {
  switch (v.tag) {
    case 'integer': return ['integer', v.val.toString()];
    case 'real': return ['real', v.val];
    case 'text': return ['text', v.val];
    case 'blob': return ['blob', hex(v.val)];
    default: return ['null'];
  }
}

// A thrown result error carries the variant as `payload`.
function witError(e) {
  const p = e && e.payload;
  if (p && typeof p.tag === 'string') return p.val === undefined ? { tag: p.tag } : { tag: p.tag, val: p.val };
  return { tag: 'trap', val: String(e) };
}

function queryResult(r) {
  return { columns: r.columns, rows: r.rows.map((row) => row.values.map(fromWit)) };
}

function run(version, db, steps) {
  let conn;
  try {
    conn = version === 'v1' ? v1.open(db) : version === 'v2' ? V2.open(db) : V3.open(db);
  } catch (e) {
    return { open: witError(e) };
  }
  const results = [];
  for (const step of steps) {
    const params = (step.params ?? []).map(toWit);
    try {
      const r = version === 'v1' ? v1.execute(conn, step.sql, params) : conn.execute(step.sql, params);
      const out = { ok: queryResult(r) };
      if (version === 'v3') {
        out.changes = conn.changes().toString();
        out.rowid = conn.lastInsertRowid().toString();
      }
      results.push(out);
    } catch (e) {
      results.push({ err: witError(e) });
    }
  }
  if (version === 'v1') v1.close(conn);
  return { results };
}

async function handle(req) {
  const version = new URL(req.url).pathname.split('/').pop();
  const { db, steps } = JSON.parse(await req.text());
  return new Response(JSON.stringify(run(version, db, steps)), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}
