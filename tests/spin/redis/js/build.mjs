// Builds redis.js into a component with componentize-js (pinned in
// tests/npm): it imports fermyon:spin/redis@2.0.0 (our WIT,
// wit/spin-fermyon-2.0.0/redis.wit) and exports wasi:http/incoming-handler
// at the 0.2 patch version StarlingMonkey was built against.
// Usage: node build.mjs NPM_TOOLS WORKDIR OUT.wasm
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [tools, work, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..', '..');
const pkg = join(tools, 'node_modules', '@bytecodealliance', 'componentize-js');

const engine = await readFile(join(pkg, 'lib', 'starlingmonkey_embedding.wasm'));
const m = /wasi:http\/incoming-handler@(0\.2\.\d+)/.exec(engine.toString('latin1'));
const version = m ? m[1] : '0.2.6';

const wit = join(work, 'wit');
const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
for (const f of ['io.wit', 'clocks.wit', 'random.wit']) {
  const name = f.replace('.wit', '');
  await mkdir(join(wit, 'deps', name), { recursive: true });
  await writeFile(join(wit, 'deps', name, f), retag(await readFile(join(repo, 'wit', 'wasi-0.2', f), 'utf8')));
}
await mkdir(join(wit, 'deps', 'http'), { recursive: true });
for (const f of ['types.wit', 'handler.wit'])
  await writeFile(join(wit, 'deps', 'http', f), retag(await readFile(join(repo, 'wit', 'wasi-http-0.2', f), 'utf8')));
await mkdir(join(wit, 'deps', 'spin'), { recursive: true });
await writeFile(join(wit, 'deps', 'spin', 'redis.wit'),
  await readFile(join(repo, 'wit', 'spin-fermyon-2.0.0', 'redis.wit'), 'utf8'));
await writeFile(join(wit, 'world.wit'),
  `package whirl:test;\n\nworld redis-http {\n  import fermyon:spin/redis@2.0.0;\n` +
  `  export wasi:http/incoming-handler@${version};\n}\n`);

const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
const exp = exports['.'] ?? exports;
const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
const { component } = await componentize(await readFile(join(here, 'redis.js'), 'utf8'), {
  witPath: wit,
  worldName: 'redis-http',
});
await writeFile(out, component);
console.log(`${out}: ${component.length} bytes, wasi:http@${version}`);
