// A Spin app using three host APIs: variables (the greeting), key-value
// (a visit counter per path) and SQLite (a log of visits). GET /PATH counts
// a visit and answers with the greeting, the count and the last visits;
// DELETE / clears both.
import { get as variable } from 'fermyon:spin/variables@2.0.0';
import { Store } from 'fermyon:spin/key-value@2.0.0';
import { Connection } from 'fermyon:spin/sqlite@2.0.0';

function count(store, key) {
  const bytes = store.get(key);
  const n = bytes ? Number(new TextDecoder().decode(bytes)) + 1 : 1;
  store.set(key, new TextEncoder().encode(String(n)));
  return n;
}

function handle(request) {
  const url = new URL(request.url);
  const store = Store.open('default');
  const db = Connection.open('default');
  db.execute('CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, path TEXT NOT NULL, at TEXT NOT NULL)', []);
  if (request.method === 'DELETE') {
    for (const key of store.getKeys()) store.delete(key);
    db.execute('DELETE FROM visits', []);
    return new Response('cleared\n');
  }
  const n = count(store, `visits:${url.pathname}`);
  db.execute('INSERT INTO visits (path, at) VALUES (?, ?)', [
    { tag: 'text', val: url.pathname },
    { tag: 'text', val: new Date().toISOString() },
  ]);
  const recent = db.execute('SELECT path FROM visits ORDER BY id DESC LIMIT 3', []);
  const paths = recent.rows.map((r) => r.values[0].val);
  const body = `${variable('greeting')}! ${url.pathname} has had ${n} visit${n === 1 ? '' : 's'}.\n` +
    `Last visits: ${paths.join(', ')}\n`;
  return new Response(body, { headers: { 'content-type': 'text/plain' } });
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
