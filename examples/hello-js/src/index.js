// The http-js template's handler (no router): StarlingMonkey delivers each
// request as a fetch event, and the component exports wasi:http's
// incoming-handler, which whirl serves like Spin.
function handle(request) {
  const url = new URL(request.url);
  return new Response('Hello from JS\n', {
    status: 200,
    headers: {
      'content-type': 'text/plain',
      'x-hello-js': 'yes',
      // Spin tells the component which route matched; echoed to show it.
      'x-path-info': request.headers.get('spin-path-info') ?? '',
      'x-method': request.method,
      'x-query': url.search,
    },
  });
}

addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});
