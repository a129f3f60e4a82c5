// Builds guest.js into a component with componentize-js (pinned in
// tests/npm) against our WIT: wit/spin-fermyon-2.0.0/sqlite.wit,
// wit/spin-fermyon-v1/sqlite.wit and spin:sqlite@3.0.0 — the 3.1.0 file
// without its `@since(version = 3.1.0)` items, which is exactly Spin's
// 3.0.0 interface (what components built for Spin 3.x import).
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
const put = async (dir, file, text) => {
  await mkdir(join(wit, 'deps', dir), { recursive: true });
  await writeFile(join(wit, 'deps', dir, file), text);
};
const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
// Only the packages wasi:http needs: the engine brings its own copies of
// the rest, and two copies of one package must agree to merge.
for (const name of ['io', 'clocks', 'random'])
  await put(name, `${name}.wit`, retag(await readFile(join(repo, 'wit', 'wasi-0.2', `${name}.wit`), 'utf8')));
for (const f of ['types.wit', 'handler.wit'])
  await put('http', f, retag(await readFile(join(repo, 'wit', 'wasi-http-0.2', f), 'utf8')));
await put('spin-2', 'sqlite.wit', await readFile(join(repo, 'wit', 'spin-fermyon-2.0.0', 'sqlite.wit'), 'utf8'));
await put('spin-v1', 'sqlite.wit', await readFile(join(repo, 'wit', 'spin-fermyon-v1', 'sqlite.wit'), 'utf8'));
const v31 = await readFile(join(repo, 'wit', 'spin-sqlite-3.1.0', 'sqlite.wit'), 'utf8');
const v30 = v31.replace(/^[ \t]*@since\(version = 3\.1\.0\)\n[^\n]*\n/gm, '').replace('spin:sqlite@3.1.0', 'spin:sqlite@3.0.0');
if (v30.includes('async') || !v30.includes('package spin:sqlite@3.0.0;'))
  throw new Error('spin:sqlite@3.1.0 WIT is not shaped as expected: cannot derive 3.0.0');
await put('spin-sqlite-3', 'sqlite.wit', v30);
await writeFile(join(wit, 'world.wit'), `package whirl:sqlite-test;

world guest {
  import fermyon:spin/sqlite;
  import fermyon:spin/sqlite@2.0.0;
  import spin:sqlite/sqlite@3.0.0;
  export wasi:http/incoming-handler@${version};
}
`);

const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
const exp = exports['.'] ?? exports;
const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
const { component } = await componentize(await readFile(join(here, 'guest.js'), 'utf8'), {
  witPath: wit,
  worldName: 'guest',
});
// Written whole, then renamed: test processes running side by side may share the file.
await writeFile(`${out}.tmp${process.pid}`, component);
await rename(`${out}.tmp${process.pid}`, out);
console.log(`${out}: ${component.length} bytes`);
