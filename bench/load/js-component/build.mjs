// Builds hello.component.wasm with componentize-js (installed with jco by
// scripts/npm-tools.sh). Usage: node build.mjs NPM_TOOLS OUT.wasm [http]
// Without `http`, the component leaves out the wasi:http (fetch) imports,
// so WASI 0.2 alone instantiates it.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [tools, out, http] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(tools, 'node_modules', '@bytecodealliance', 'componentize-js');
const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
const exp = exports['.'] ?? exports;
const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
const { component } = await componentize(await readFile(join(here, 'hello.js'), 'utf8'), {
  witPath: join(here, 'wit'),
  worldName: 'hello',
  disableFeatures: http ? [] : ['http', 'fetch-event'],
});
await writeFile(out, component);
console.log(`${out}: ${component.length} bytes`);
