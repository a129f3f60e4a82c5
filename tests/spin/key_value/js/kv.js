// A JS wasi:http guest that calls every function of Spin's key-value
// interfaces, driven by the test:
//   POST /run (or /admin/run)  with a JSON list of steps, e.g.
//     [{"api":"v2","op":"open","store":"default"},
//      {"api":"v2","op":"set","h":0,"key":"k","value":"v"}]
//   answers a JSON list with one {"ok": ...} or {"err": ...} per step
//   (an error variant as {"tag": ..., "val": ...}). Store and cas handles
//   are indices into this request's lists (`h`, `c`).
//   GET /incr?store=S&key=K   one atomics.increment by 1: the new value.
//   GET /cas-incr?store=S&key=K   adds 1 to a decimal value by cas/swap,
//     retrying on cas-failed: "VALUE TRIES".
//   GET /set?store=S&key=K&value=V   one bucket.set: "ok".
import { Store } from 'fermyon:spin/key-value@2.0.0';
import { open } from 'wasi:keyvalue/store@0.2.0-draft2';
import { Cas, increment, swap } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { deleteMany, getMany, setMany } from 'wasi:keyvalue/batch@0.2.0-draft2';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s) => enc.encode(s);
const text = (b) => (b === undefined || b === null ? null : dec.decode(b));

// componentize-js throws an err result's payload (wrapped or not).
function errorOf(e) {
  const p = e && typeof e === 'object' && 'payload' in e ? e.payload : e;
  if (p && typeof p === 'object' && 'tag' in p) {
    let val = p.val;
    if (val instanceof Cas) val = { cas: true };
    else if (val && typeof val === 'object' && 'tag' in val) val = { tag: val.tag, val: val.val ?? null };
    return { tag: p.tag, val: val ?? null };
  }
  return { thrown: String(e) };
}

function step(s, stores, cases) {
  const h = () => {
    const x = stores[s.h];
    if (!x) throw new Error(`no handle ${s.h}`);
    return x;
  };
  if (s.api === 'v2') {
    switch (s.op) {
      case 'open': stores.push(Store.open(s.store)); return stores.length - 1;
      case 'get': return text(h().get(s.key));
      case 'set': h().set(s.key, bytes(s.value)); return null;
      case 'delete': h().delete(s.key); return null;
      case 'exists': return h().exists(s.key);
      case 'keys': return h().getKeys().sort();
    }
  } else {
    switch (s.op) {
      case 'open': stores.push(open(s.store)); return stores.length - 1;
      case 'get': return text(h().get(s.key));
      case 'set': h().set(s.key, bytes(s.value)); return null;
      case 'delete': h().delete(s.key); return null;
      case 'exists': return h().exists(s.key);
      case 'list': {
        const r = h().listKeys(s.cursor === undefined ? undefined : s.cursor);
        return { keys: r.keys.sort(), cursor: r.cursor ?? null };
      }
      case 'get-many': return getMany(h(), s.keys).map(([k, v]) => [k, text(v)]);
      case 'set-many': setMany(h(), s.pairs.map(([k, v]) => [k, bytes(v)])); return null;
      case 'delete-many': deleteMany(h(), s.keys); return null;
      // Positive deltas only: componentize-js 0.22 aborts on a negative
      // BigInt for an s64 ("coreabi_from_bigint64 validation"); the unit
      // tests cover negative ones.
      case 'incr': return String(increment(h(), s.key, BigInt(s.delta)));
      case 'cas-new': cases.push(Cas.new(h(), s.key)); return cases.length - 1;
      case 'cas-current': return text(cases[s.c].current());
      case 'swap': {
        const c = cases[s.c];
        cases[s.c] = null;  // swap takes it
        try {
          swap(c, bytes(s.value));
          return null;
        } catch (e) {
          const p = e && typeof e === 'object' && 'payload' in e ? e.payload : e;
          if (p && p.tag === 'cas-failed') {  // keep the fresh cas for later steps
            cases.push(p.val);
            throw { payload: { tag: 'cas-failed', val: { cas: cases.length - 1 } } };
          }
          throw e;
        }
      }
    }
  }
  throw new Error(`unknown step ${JSON.stringify(s)}`);
}

function run(steps) {
  const stores = [], cases = [];
  return steps.map((s) => {
    try {
      return { ok: step(s, stores, cases) };
    } catch (e) {
      return { err: errorOf(e) };
    }
  });
}

// cas/swap until it holds: the value is a decimal number (absent: 0).
function casIncr(bucket, key) {
  let c = Cas.new(bucket, key);
  for (let tries = 1; tries <= 10000; tries++) {
    const cur = text(c.current());
    const n = cur === null ? 0 : Number(cur);
    try {
      swap(c, bytes(String(n + 1)));
      return `${n + 1} ${tries}`;
    } catch (e) {
      const p = e && typeof e === 'object' && 'payload' in e ? e.payload : e;
      if (!p || p.tag !== 'cas-failed') throw e;
      c = p.val;
    }
  }
  throw new Error('cas: too many tries');
}

async function handle(req) {
  const url = new URL(req.url);
  const q = url.searchParams;
  const path = url.pathname.replace(/^\/admin/, '');  // the second component's routes
  try {
    if (path === '/run') {
      const out = run(JSON.parse(await req.text()));
      return new Response(JSON.stringify(out), { headers: { 'content-type': 'application/json' } });
    }
    if (path === '/incr') return new Response(String(increment(open(q.get('store')), q.get('key'), 1n)));
    if (path === '/cas-incr') return new Response(casIncr(open(q.get('store')), q.get('key')));
    if (path === '/set') {
      open(q.get('store')).set(q.get('key'), bytes(q.get('value')));
      return new Response('ok');
    }
    return new Response('no such route', { status: 404 });
  } catch (e) {
    return new Response(`error: ${JSON.stringify(errorOf(e))}`, { status: 500 });
  }
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
