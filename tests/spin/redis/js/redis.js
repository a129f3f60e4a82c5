// A JS wasi:http handler using Spin's outbound Redis
// (fermyon:spin/redis@2.0.0) as a Spin JS app would:
//   /ops?addr=URL   every operation on one connection, one line each
//   /open?addr=URL  just Connection.open: "ok" or "err <case>"
import { Connection } from 'fermyon:spin/redis@2.0.0';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bin = (s) => ({ tag: 'binary', val: enc.encode(s) });

// An import's error result arrives as a thrown error carrying the variant.
function errorText(e) {
  const p = e && e.payload !== undefined ? e.payload : e;
  if (p && p.tag) return `err ${p.tag}${p.val !== undefined ? ` ${p.val}` : ''}`;
  return `err thrown ${e}`;
}
function attempt(f) {
  try {
    return f();
  } catch (e) {
    return errorText(e);
  }
}
const show = (v) => (v === undefined ? 'none' : `[${Array.from(v).join(',')}]`);
const results = (rs) =>
  rs.map((r) => {
    if (r.tag === 'binary') return `binary(${dec.decode(r.val)})`;
    if (r.tag === 'nil') return 'nil';
    return `${r.tag}(${r.val})`;
  }).join(',');

function ops(addr) {
  const c = Connection.open(addr);
  const out = [];
  out.push(`get-pre ${show(c.get('js:pre'))}`);
  out.push(`get-missing ${show(c.get('js:missing'))}`);
  c.set('js:text', enc.encode('from js'));
  c.set('js:bin', new Uint8Array([0, 255, 1]));
  out.push(`incr ${c.incr('js:counter')} ${c.incr('js:counter')}`);
  out.push(`sadd ${c.sadd('js:set', ['a', 'b', 'c', 'a'])}`);
  out.push(`srem ${c.srem('js:set', ['b', 'zz'])}`);
  out.push(`smembers ${c.smembers('js:set').sort().join(',')}`);
  c.set('js:gone1', enc.encode('x'));
  c.set('js:gone2', enc.encode('y'));
  out.push(`del ${c.del(['js:gone1', 'js:gone2', 'js:never'])}`);
  c.publish('js:chan', enc.encode('published by js'));
  out.push(`execute ${results(c.execute('INCRBY', [bin('js:n'), { tag: 'int64', val: 40n }]))}`);
  out.push(`execute ${results(c.execute('MGET', [bin('js:text'), bin('js:nope')]))}`);
  out.push(`execute ${results(c.execute('PING', []))}`);
  out.push(`execute ${results(c.execute('RPUSH', [bin('js:list'), bin('x'), bin('y')]))}`);
  out.push(`execute ${results(c.execute('LRANGE', [bin('js:list'), bin('0'), bin('-1')]))}`);
  out.push(`incr-text ${attempt(() => c.incr('js:text'))}`);
  out.push(`sadd-text ${attempt(() => c.sadd('js:text', ['x']))}`);
  out.push(`unknown ${attempt(() => c.execute('NOSUCHCOMMAND', []))}`);
  return out.join('\n') + '\n';
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(req) {
  const url = new URL(req.url);
  const addr = url.searchParams.get('addr');
  let body;
  if (url.pathname === '/ops') body = attempt(() => ops(addr));
  else if (url.pathname === '/open') body = attempt(() => (Connection.open(addr), 'ok'));
  else return new Response('no such route\n', { status: 404 });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/plain' } });
}
