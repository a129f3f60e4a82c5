// Builds hello.js into a wasi:http proxy component with componentize-js
// (pinned in tests/npm). The world's WIT is ours (wit/wasi-0.2,
// wit/wasi-http-0.2) under the 0.2 patch version StarlingMonkey was built
// against (the types are the same through 0.2.12).
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
await mkdir(join(wit, 'deps', 'http'), { recursive: true });
const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
// Only the packages wasi:http needs: the engine brings its own copies of
// the rest, and two copies of one package must agree to merge.
for (const f of ['io.wit', 'clocks.wit', 'random.wit']) {
  const name = f.replace('.wit', '');
  await mkdir(join(wit, 'deps', name), { recursive: true });
  await writeFile(join(wit, 'deps', name, f), retag(await readFile(join(repo, 'wit', 'wasi-0.2', f), 'utf8')));
}
for (const f of ['types.wit', 'handler.wit'])
  await writeFile(join(wit, 'deps', 'http', f), retag(await readFile(join(repo, 'wit', 'wasi-http-0.2', f), 'utf8')));
await writeFile(join(wit, 'world.wit'),
  `package whirl:test;\n\nworld hello-http {\n  import wasi:http/outgoing-handler@${version};\n  export wasi:http/incoming-handler@${version};\n}\n`);

const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
const exp = exports['.'] ?? exports;
const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
const { component } = await componentize(await readFile(join(here, 'hello.js'), 'utf8'), {
  witPath: wit,
  worldName: 'hello-http',
});
await writeFile(out, component);
console.log(`${out}: ${component.length} bytes, wasi:http@${version}`);
