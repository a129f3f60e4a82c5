// A JS wasi:http guest reading Spin variables through every interface Spin
// links for components, answering JSON for the end-to-end test:
//   GET /<component route>/v2?name=N      fermyon:spin/variables@2.0.0 get
//   GET /<component route>/v3?name=N      spin:variables/variables@3.0.0 get
//   GET /<component route>/v1?name=N      fermyon:spin/config get-config
//   GET /<component route>/config?name=N  wasi:config/store get
//   GET /<component route>/all            wasi:config/store get-all
//   GET /<component route>/fetch?url=U    GET U (wasi:http outgoing-handler,
//                                         under allowed_outbound_hosts)
// {"ok": value} (get-all: [[key, value], ...] sorted by key; config get:
// null when absent) or {"err": {"tag": case, "val": message}}.
import { get as getV2 } from 'fermyon:spin/variables@2.0.0';
import { get as getV3 } from 'spin:variables/variables@3.0.0';
import { getConfig } from 'fermyon:spin/config';
import { get as configGet, getAll } from 'wasi:config/store@0.2.0-draft-2024-09-27';

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

// A thrown result error carries the variant as `payload`.
function witError(e) {
  const p = e && e.payload;
  if (p && typeof p.tag === 'string') return { tag: p.tag, val: p.val };
  return { tag: 'trap', val: String(e) };
}

function call(f) {
  try {
    return { ok: f() };
  } catch (e) {
    return { err: witError(e) };
  }
}

async function handle(req) {
  const url = new URL(req.url);
  const name = url.searchParams.get('name') ?? '';
  const op = url.pathname.split('/').pop();
  let out;
  switch (op) {
    case 'v2': out = call(() => getV2(name)); break;
    case 'v3': out = call(() => getV3(name)); break;
    case 'v1': out = call(() => getConfig(name)); break;
    case 'config': out = call(() => configGet(name) ?? null); break;
    case 'all': out = call(() => getAll().map(([k, v]) => [k, v]).sort((a, b) => (a[0] < b[0] ? -1 : 1))); break;
    case 'fetch':
      try {
        const r = await fetch(url.searchParams.get('url'));
        out = { ok: { status: r.status, body: await r.text() } };
      } catch (e) {
        out = { err: { tag: 'fetch', val: String(e) } };
      }
      break;
    default: return new Response('no such operation\n', { status: 404 });
  }
  return new Response(JSON.stringify(out), { status: 200, headers: { 'content-type': 'application/json' } });
}
