// Builds guest.js into a component with componentize-js against our WIT:
// wit/spin-fermyon-2.0.0/sqlite.wit, wit/spin-fermyon-v1/sqlite.wit and
// spin:sqlite@3.0.0 — the 3.1.0 file without its `@since(version = 3.1.0)`
// items, which is exactly Spin's 3.0.0 interface (what components built
// for Spin 3.x import).
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, ours } from '../../../../scripts/componentize.mjs';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const v31 = await ours('spin-sqlite-3.1.0', 'sqlite.wit');
const v30 = v31.replace(/^[ \t]*@since\(version = 3\.1\.0\)\n[^\n]*\n/gm, '').replace('spin:sqlite@3.1.0', 'spin:sqlite@3.0.0');
if (v30.includes('async') || !v30.includes('package spin:sqlite@3.0.0;'))
  throw new Error('spin:sqlite@3.1.0 WIT is not shaped as expected: cannot derive 3.0.0');
await buildGuest({
  tools, work, out,
  source: await readFile(join(here, 'guest.js'), 'utf8'),
  world: () => ['fermyon:spin/sqlite', 'fermyon:spin/sqlite@2.0.0', 'spin:sqlite/sqlite@3.0.0'],
  deps: [
    { dir: 'spin-2', file: 'sqlite.wit', text: await ours('spin-fermyon-2.0.0', 'sqlite.wit') },
    { dir: 'spin-v1', file: 'sqlite.wit', text: await ours('spin-fermyon-v1', 'sqlite.wit') },
    { dir: 'spin-sqlite-3', file: 'sqlite.wit', text: v30 },
  ],
});
