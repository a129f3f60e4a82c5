// Embeds a WIT world into a core module (`wasm-tools component embed`),
// through jco's API: `jco embed` of the pinned jco cannot read a WIT path
// here, so the WIT goes in as text. Then `jco new` makes the component.
// Usage: node jco-embed.mjs NPM_TOOLS IN.wasm WORLD.wit WORLD OUT.wasm
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [tools, input, wit, world, output] = process.argv.slice(2);
if (!output) {
  console.error('usage: node jco-embed.mjs NPM_TOOLS IN.wasm WORLD.wit WORLD OUT.wasm');
  process.exit(2);
}
const { componentEmbed } = await import(join(tools, 'node_modules/@bytecodealliance/jco/dist/api.js'));
const binary = await readFile(input);
const witSource = await readFile(wit, 'utf8');
await writeFile(output, await componentEmbed({ binary, witSource, world }));
