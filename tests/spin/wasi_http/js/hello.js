// A JS wasi:http handler the way StarlingMonkey (componentize-js, which
// Spin's JS SDK drives) serves one: a fetch event per request.
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(req) {
  const url = new URL(req.url);
  const body = await req.text();
  const info = req.headers.get('spin-path-info');
  return new Response(`hello from js: ${req.method} ${url.pathname}${url.search} path-info=${info} body=[${body}]\n`, {
    status: 200,
    headers: { 'content-type': 'text/plain', 'x-js': 'yes' },
  });
}
