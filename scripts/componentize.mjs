// What every JS test guest's build shares: a JS fetch handler made a
// component by componentize-js (pinned in tests/npm) against our WIT files,
// exporting wasi:http/incoming-handler at the patch version StarlingMonkey
// was built against, importing what the caller lists.
//   buildGuest({ tools, work, out, source, world, deps })
//     tools:  the npm tools dir (scripts/npm-tools.sh DEST)
//     work:   a scratch dir (not the system temp dir: componentize-js fails there)
//     out:    the component to write (written whole, then renamed)
//     source: the guest's JS text
//     world:  (version) => the world's import lines, e.g. ['fermyon:spin/sqlite@2.0.0']
//     deps:   [{ dir, file, text }] WIT packages besides wasi io/clocks/random/http
//   ours(dir, file): the text of wit/DIR/FILE
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

export const ours = (dir, file) => readFile(join(repo, 'wit', dir, file), 'utf8');

export async function buildGuest({ tools, work, out, source, world, deps = [] }) {
  const pkg = join(tools, 'node_modules', '@bytecodealliance', 'componentize-js');
  // StarlingMonkey's own wasi:http version, read from its engine.
  const engine = await readFile(join(pkg, 'lib', 'starlingmonkey_embedding.wasm'));
  const m = /wasi:http\/incoming-handler@(0\.2\.\d+)/.exec(engine.toString('latin1'));
  const version = m ? m[1] : '0.2.6';

  const wit = join(work, 'wit');
  await rm(wit, { recursive: true, force: true });  // nothing left from an earlier build
  const put = async (dir, file, text) => {
    await mkdir(join(wit, 'deps', dir), { recursive: true });
    await writeFile(join(wit, 'deps', dir, file), text);
  };
  const retag = (text) => text.replaceAll('@0.2.6', `@${version}`);
  // Only the packages wasi:http needs: the engine brings its own copies of
  // the rest, and two copies of one package must agree to merge.
  for (const name of ['io', 'clocks', 'random']) await put(name, `${name}.wit`, retag(await ours('wasi-0.2', `${name}.wit`)));
  for (const f of ['types.wit', 'handler.wit']) await put('http', f, retag(await ours('wasi-http-0.2', f)));
  for (const d of deps) await put(d.dir, d.file, d.text);
  const imports = world(version).map((i) => `  import ${i};\n`).join('');
  await writeFile(join(wit, 'world.wit'),
    `package whirl:guest;\n\nworld guest {\n${imports}  export wasi:http/incoming-handler@${version};\n}\n`);

  const { exports } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
  const exp = exports['.'] ?? exports;
  const entry = typeof exp === 'string' ? exp : exp.import ?? exp.default;
  const { componentize } = await import(pathToFileURL(join(pkg, entry)).href);
  const { component } = await componentize(source, { witPath: wit, worldName: 'guest' });
  // Written whole, then renamed: test processes running side by side may share the file.
  await writeFile(`${out}.tmp${process.pid}`, component);
  await rename(`${out}.tmp${process.pid}`, out);
  console.log(`${out}: ${component.length} bytes, wasi:http@${version}`);
  return version;
}
