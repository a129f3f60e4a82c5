// Builds app.js into dist/visits.wasm with componentize-js (the toolchain
// under Spin's JS SDK), importing Spin's variables, key-value and SQLite
// interfaces as written in our WIT files.
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, ours } from '../../scripts/componentize.mjs';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const spin = (file) => ours('spin-fermyon-2.0.0', file);
await buildGuest({
  tools, work, out,
  source: await readFile(join(here, 'app.js'), 'utf8'),
  world: () => ['fermyon:spin/variables@2.0.0', 'fermyon:spin/key-value@2.0.0', 'fermyon:spin/sqlite@2.0.0'],
  deps: [
    { dir: 'spin', file: 'variables.wit', text: await spin('variables.wit') },
    { dir: 'spin', file: 'key-value.wit', text: await spin('key-value.wit') },
    { dir: 'spin', file: 'sqlite.wit', text: await spin('sqlite.wit') },
  ],
});
