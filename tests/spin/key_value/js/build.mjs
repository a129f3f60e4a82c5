// Builds kv.js into a wasi:http component importing Spin's key-value
// interfaces (fermyon:spin/key-value@2.0.0, wasi:keyvalue store, atomics
// and batch @0.2.0-draft2) with componentize-js (pinned in tests/npm),
// against our WIT files (wit/spin-fermyon-2.0.0, wit/wasi-keyvalue-*).
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
const copy = async (dir, from, files, retag = (t) => t) => {
  await mkdir(join(wit, 'deps', dir), { recursive: true });
  for (const f of files)
    await writeFile(join(wit, 'deps', dir, f), retag(await readFile(join(repo, 'wit', from, f), 'utf8')));
};
const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
// Only the WASI packages wasi:http needs: the engine brings its own copies
// of the rest, and two copies of one package must agree to merge.
for (const f of ['io', 'clocks', 'random']) await copy(f, 'wasi-0.2', [`${f}.wit`], retag);
await copy('http', 'wasi-http-0.2', ['types.wit', 'handler.wit'], retag);
await copy('spin', 'spin-fermyon-2.0.0', ['key-value.wit']);
await copy('keyvalue', 'wasi-keyvalue-0.2.0-draft2', ['store.wit', 'atomics.wit', 'batch.wit']);
await writeFile(join(wit, 'world.wit'), `package whirl:kvtest;

world kv-test {
  import fermyon:spin/key-value@2.0.0;
  import wasi:keyvalue/store@0.2.0-draft2;
  import wasi:keyvalue/atomics@0.2.0-draft2;
  import wasi:keyvalue/batch@0.2.0-draft2;
  import wasi:http/outgoing-handler@${version};
  export wasi:http/incoming-handler@${version};
}
`);

const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
const exp = exports['.'] ?? exports;
const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
const { component, imports } = await componentize(await readFile(join(here, 'kv.js'), 'utf8'), {
  witPath: wit,
  worldName: 'kv-test',
});
// Written whole, then renamed: a reader never sees half a component.
await writeFile(out + '.tmp', component);
await rename(out + '.tmp', out);
console.log(`${out}: ${component.length} bytes, wasi:http@${version}, imports ${JSON.stringify(imports)}`);
