// Builds hello.js into a wasi:http proxy component with componentize-js
// (pinned in tests/npm). The world's WIT is ours (wit/wasi-0.2,
// wit/wasi-http-0.2) under the 0.2 patch version StarlingMonkey was built
// against (the types are the same through 0.2.12).
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest } from '../../../../scripts/componentize.mjs';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
await buildGuest({
  tools, work, out,
  source: await readFile(join(here, 'hello.js'), 'utf8'),
  world: (v) => [`wasi:http/outgoing-handler@${v}`],
});
