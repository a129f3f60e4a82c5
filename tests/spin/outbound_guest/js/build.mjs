// Builds guest.js into a wasi:http component with componentize-js
// (scripts/componentize.mjs), importing Spin's outbound interfaces from our
// WIT files: Spin 1's fermyon:spin/{postgres,mysql},
// fermyon:spin/{postgres,mysql,mqtt}@2.0.0, spin:postgres/postgres@3.0.0,
// and spin:postgres/postgres@4 as 4.1.0 (4.2.0 without its `async`
// functions, which need WASI 0.3; a 4.1.0 import links with the 4.2.0
// host by semver, as in Spin).
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, ours } from '../../../../scripts/componentize.mjs';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));

const pg4 = (await ours('spin-postgres-4.2.0', 'postgres.wit'))
  .replace(/^\s*@since\(version = 4\.2\.0\)\n.*\n/gm, '')
  .replace('package spin:postgres@4.2.0;', 'package spin:postgres@4.1.0;');
if (pg4.includes('async')) throw new Error('spin:postgres@4.2.0 has async functions this build does not remove');
const deps = [{ dir: 'postgres3', file: 'postgres.wit', text: await ours('spin-postgres-3.0.0', 'postgres.wit') },
              { dir: 'postgres4', file: 'postgres.wit', text: pg4 }];
for (const f of ['postgres.wit', 'rdbms-types.wit', 'mysql.wit', 'mqtt.wit'])
  deps.push({ dir: 'spin-2', file: f, text: await ours('spin-fermyon-2.0.0', f) });
for (const f of ['postgres.wit', 'rdbms-types.wit', 'mysql.wit'])
  deps.push({ dir: 'spin-v1', file: f, text: await ours('spin-fermyon-v1', f) });

await buildGuest({
  tools, work, out,
  source: await readFile(join(here, 'guest.js'), 'utf8'),
  world: () => ['fermyon:spin/postgres', 'fermyon:spin/mysql', 'fermyon:spin/postgres@2.0.0',
                'spin:postgres/postgres@3.0.0', 'spin:postgres/postgres@4.1.0', 'fermyon:spin/mysql@2.0.0',
                'fermyon:spin/mqtt@2.0.0'],
  deps,
});
