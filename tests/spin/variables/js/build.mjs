// Builds guest.js into a component with componentize-js (pinned in
// tests/npm) against our WIT: fermyon:spin/variables@2.0.0,
// spin:variables/variables@3.0.0, fermyon:spin/config (Spin 1),
// wasi:config/store@0.2.0-draft-2024-09-27 and wasi:http's outgoing
// handler, exporting wasi:http's incoming handler.
// componentize-js cannot import an `async func` yet (its splicer panics),
// so the guest's copy of spin:variables@3.0.0 declares `get` without
// `async`: the same host function, called synchronously.
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
const ours = (dir, file) => readFile(join(repo, 'wit', dir, file), 'utf8');
const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
// Only the packages wasi:http needs: the engine brings its own copies of
// the rest, and two copies of one package must agree to merge.
for (const name of ['io', 'clocks', 'random']) await put(name, `${name}.wit`, retag(await ours('wasi-0.2', `${name}.wit`)));
for (const f of ['types.wit', 'handler.wit']) await put('http', f, retag(await ours('wasi-http-0.2', f)));
await put('spin-2', 'variables.wit', await ours('spin-fermyon-2.0.0', 'variables.wit'));
await put('spin-v1', 'config.wit', await ours('spin-fermyon-v1', 'config.wit'));
const v3 = await ours('spin-variables-3.0.0', 'variables.wit');
if (!v3.includes('get: async func(')) throw new Error('spin:variables@3.0.0 WIT is not shaped as expected');
await put('spin-variables-3', 'variables.wit', v3.replace('get: async func(', 'get: func('));
await put('wasi-config', 'store.wit', await ours('wasi-config-0.2.0-draft-2024-09-27', 'store.wit'));
await writeFile(join(wit, 'world.wit'), `package whirl:variables-test;

world guest {
  import fermyon:spin/variables@2.0.0;
  import spin:variables/variables@3.0.0;
  import fermyon:spin/config;
  import wasi:config/store@0.2.0-draft-2024-09-27;
  import wasi:http/outgoing-handler@${version};
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
