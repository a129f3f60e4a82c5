// Builds guest.js into a wasi:http component with componentize-js (pinned
// in tests/npm), importing Spin's outbound interfaces from our WIT files:
// Spin 1's fermyon:spin/{postgres,mysql}, fermyon:spin/{postgres,mysql,mqtt}@2.0.0,
// spin:postgres/postgres@3.0.0,
// and spin:postgres/postgres@4 as 4.1.0 (4.2.0 without its `async`
// functions, which need WASI 0.3; a 4.1.0 import links with the 4.2.0
// host by semver, as in Spin).
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..', '..');
const pkg = join(tools, 'node_modules', '@bytecodealliance', 'componentize-js');

// StarlingMonkey's own wasi:http version, read from its engine.
const engine = await readFile(join(pkg, 'lib', 'starlingmonkey_embedding.wasm'));
const m = /wasi:http\/incoming-handler@(0\.2\.\d+)/.exec(engine.toString('latin1'));
const version = m ? m[1] : '0.2.6';

const wit = join(work, 'wit');
await rm(wit, { recursive: true, force: true });
const put = async (dir, name, text) => {
  await mkdir(join(wit, 'deps', dir), { recursive: true });
  await writeFile(join(wit, 'deps', dir, name), text);
};
const read = (...p) => readFile(join(repo, 'wit', ...p), 'utf8');
const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
for (const f of ['io', 'clocks', 'random']) await put(f, `${f}.wit`, retag(await read('wasi-0.2', `${f}.wit`)));
for (const f of ['types.wit', 'handler.wit']) await put('http', f, retag(await read('wasi-http-0.2', f)));
for (const f of ['postgres.wit', 'rdbms-types.wit', 'mysql.wit', 'mqtt.wit'])
  await put('spin', f, await read('spin-fermyon-2.0.0', f));
for (const f of ['postgres.wit', 'rdbms-types.wit', 'mysql.wit'])
  await put('spin1', f, await read('spin-fermyon-v1', f));
await put('postgres3', 'postgres.wit', await read('spin-postgres-3.0.0', 'postgres.wit'));
const pg4 = (await read('spin-postgres-4.2.0', 'postgres.wit'))
  .replace(/^\s*@since\(version = 4\.2\.0\)\n.*\n/gm, '')
  .replace('package spin:postgres@4.2.0;', 'package spin:postgres@4.1.0;');
if (pg4.includes('async')) throw new Error('spin:postgres@4.2.0 has async functions this build does not remove');
await put('postgres4', 'postgres.wit', pg4);
await writeFile(join(wit, 'world.wit'), `package whirl:test;

world outbound-guest {
  import fermyon:spin/postgres;
  import fermyon:spin/mysql;
  import fermyon:spin/postgres@2.0.0;
  import spin:postgres/postgres@3.0.0;
  import spin:postgres/postgres@4.1.0;
  import fermyon:spin/mysql@2.0.0;
  import fermyon:spin/mqtt@2.0.0;
  export wasi:http/incoming-handler@${version};
}
`);

const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
const exp = exports['.'] ?? exports;
const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
const { component } = await componentize(await readFile(join(here, 'guest.js'), 'utf8'), {
  witPath: wit,
  worldName: 'outbound-guest',
});
await writeFile(out, component);
console.log(`${out}: ${component.length} bytes, wasi:http@${version}`);
