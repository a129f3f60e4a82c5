// The outbound test guest: a wasi:http handler (componentize-js) that runs
// a script of PostgreSQL, MySQL and MQTT calls given as the request's JSON
// body, all in one instance, and answers with each step's outcome as JSON.
// Body: {"iface": "pg1" | "pg2" | "pg3" | "pg4" | "mysql1" | "mysql" | "mqtt", "steps": [
//   {"op": "open", "address": "...", ...mqtt: "username", "password", "keepAlive"},
//   {"op": "build", "address": "...", "ca": "PEM"?}         (pg4: connection-builder)
//   {"op": "query" | "execute", "statement": "...", "params": [{"tag": ..., "val": ...}]},
//   {"op": "publish", "topic": "...", "payload": "text" | [bytes], "qos": "at-least-once"},
//   {"op": "close"}]}                                      (drops the connection)
// Spin 1's interfaces (pg1, mysql1) take the address in every call:
//   {"op": "query" | "execute", "address": "...", "statement": ..., "params": ...}.
// Answer: [{"ok": value} | {"err": error payload} | {"exception": text}, ...].
// 64-bit integers go both ways as strings, bytes as arrays of numbers, a
// missing option as null, floats that JSON cannot hold as strings.
import * as pg1 from 'fermyon:spin/postgres';
import * as mysql1 from 'fermyon:spin/mysql';
import { Connection as Pg2 } from 'fermyon:spin/postgres@2.0.0';
import { Connection as Pg3 } from 'spin:postgres/postgres@3.0.0';
import { Connection as Pg4, ConnectionBuilder as Pg4Builder } from 'spin:postgres/postgres@4.1.0';
import { Connection as My2 } from 'fermyon:spin/mysql@2.0.0';
import { Connection as Mqtt2 } from 'fermyon:spin/mqtt@2.0.0';

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

const big = (v) => (v === null || v === undefined ? undefined : BigInt(v));
const opt = (v, f) => (v === null || v === undefined ? undefined : f(v));
const bytes = (v) => (typeof v === 'string' ? new TextEncoder().encode(v) : Uint8Array.from(v));
const bound = (b, f) => opt(b, (x) => [f(x[0]), x[1]]);

function param({ tag, val }) {
  switch (tag) {
    case 'int64': case 'uint64': case 'timestamp': return { tag, val: BigInt(val) };
    case 'binary': case 'jsonb': return { tag, val: bytes(val) };
    case 'range-int32': return { tag, val: [bound(val[0], Number), bound(val[1], Number)] };
    case 'range-int64': return { tag, val: [bound(val[0], BigInt), bound(val[1], BigInt)] };
    case 'range-decimal': return { tag, val: [bound(val[0], String), bound(val[1], String)] };
    case 'array-int32': case 'array-decimal': case 'array-str':
      return { tag, val: val.map((x) => (x === null ? undefined : x)) };
    case 'array-int64': return { tag, val: val.map(big) };
    case 'interval': return { tag, val: { micros: BigInt(val.micros), days: val.days, months: val.months } };
    default: return val === undefined ? { tag } : { tag, val };
  }
}

function plain(v) {
  if (typeof v === 'bigint') return v.toString();
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o;
  }
  return v;
}

const kinds = { pg2: Pg2, pg3: Pg3, pg4: Pg4, mysql: My2, mqtt: Mqtt2 };

function step(iface, s, state) {
  const v1 = { pg1, mysql1 }[iface];
  if (v1) return v1[s.op](s.address, s.statement, (s.params ?? []).map(param));
  const C = kinds[iface];
  switch (s.op) {
    case 'open':
      state.conn = iface === 'mqtt'
        ? C.open(s.address, s.username ?? '', s.password ?? '', BigInt(s.keepAlive ?? 30))
        : C.open(s.address);
      return null;
    case 'build': {
      const b = new Pg4Builder(s.address);
      if (s.ca !== undefined) b.setCaRoot(s.ca);
      state.conn = b.build();
      return null;
    }
    case 'query': return state.conn.query(s.statement, (s.params ?? []).map(param));
    case 'execute': return state.conn.execute(s.statement, (s.params ?? []).map(param));
    case 'publish': return state.conn.publish(s.topic, bytes(s.payload), s.qos);
    case 'close':
      state.conn[Symbol.dispose]?.();
      state.conn = undefined;
      return null;
    default: throw new Error(`unknown op ${s.op}`);
  }
}

async function handle(req) {
  const { iface, steps } = JSON.parse(await req.text());
  const state = {};
  const out = [];
  for (const s of steps) {
    try {
      out.push({ ok: plain(step(iface, s, state)) });
    } catch (e) {
      if (e && e.payload !== undefined) out.push({ err: plain(e.payload) });
      else out.push({ exception: String(e) });
      if (s.op === 'open' || s.op === 'build') break;
    }
  }
  return new Response(JSON.stringify(out), { headers: { 'content-type': 'application/json' } });
}
