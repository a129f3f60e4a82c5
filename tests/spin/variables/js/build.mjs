// Builds guest.js into a component with componentize-js against our WIT:
// fermyon:spin/variables@2.0.0, spin:variables/variables@3.0.0,
// fermyon:spin/config (Spin 1), wasi:config/store@0.2.0-draft-2024-09-27
// and wasi:http's outgoing handler, exporting wasi:http's incoming handler.
// componentize-js cannot import an `async func` yet (its splicer panics),
// so the guest's copy of spin:variables@3.0.0 declares `get` without
// `async`: the same host function, called synchronously.
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, ours } from '../../../../scripts/componentize.mjs';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const v3 = await ours('spin-variables-3.0.0', 'variables.wit');
if (!v3.includes('get: async func(')) throw new Error('spin:variables@3.0.0 WIT is not shaped as expected');
await buildGuest({
  tools, work, out,
  source: await readFile(join(here, 'guest.js'), 'utf8'),
  world: (v) => ['fermyon:spin/variables@2.0.0', 'spin:variables/variables@3.0.0', 'fermyon:spin/config',
    'wasi:config/store@0.2.0-draft-2024-09-27', `wasi:http/outgoing-handler@${v}`],
  deps: [
    { dir: 'spin-2', file: 'variables.wit', text: await ours('spin-fermyon-2.0.0', 'variables.wit') },
    { dir: 'spin-v1', file: 'config.wit', text: await ours('spin-fermyon-v1', 'config.wit') },
    { dir: 'spin-variables-3', file: 'variables.wit', text: v3.replace('get: async func(', 'get: func(') },
    { dir: 'wasi-config', file: 'store.wit', text: await ours('wasi-config-0.2.0-draft-2024-09-27', 'store.wit') },
  ],
});
