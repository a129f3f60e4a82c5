// Reference runner: a WASI command under Node's built-in node:wasi, with
// the current directory preopened as "." (as `whirl run --dir .::.`).
// Usage: node node_wasi.mjs FILE.wasm [ARGS...]
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [file, ...args], env: {}, preopens: { ".": "." }, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
