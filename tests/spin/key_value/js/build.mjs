// Builds kv.js into a wasi:http component importing Spin's key-value
// interfaces (fermyon:spin/key-value@2.0.0, wasi:keyvalue store, atomics
// and batch @0.2.0-draft2) with componentize-js, against our WIT files.
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, ours } from '../../../../scripts/componentize.mjs';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const kv = (f) => ours('wasi-keyvalue-0.2.0-draft2', f);
await buildGuest({
  tools, work, out,
  source: await readFile(join(here, 'kv.js'), 'utf8'),
  world: (v) => ['fermyon:spin/key-value@2.0.0', 'wasi:keyvalue/store@0.2.0-draft2', 'wasi:keyvalue/atomics@0.2.0-draft2',
    'wasi:keyvalue/batch@0.2.0-draft2', `wasi:http/outgoing-handler@${v}`],
  deps: [
    { dir: 'spin', file: 'key-value.wit', text: await ours('spin-fermyon-2.0.0', 'key-value.wit') },
    { dir: 'keyvalue', file: 'store.wit', text: await kv('store.wit') },
    { dir: 'keyvalue', file: 'atomics.wit', text: await kv('atomics.wit') },
    { dir: 'keyvalue', file: 'batch.wit', text: await kv('batch.wit') },
  ],
});
