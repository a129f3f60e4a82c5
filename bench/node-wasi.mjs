// Reference runner: runs a wasm32-wasi command under Node's built-in WASI
// (V8's JIT), for comparison with `whirl run`. Usage: node node-wasi.mjs FILE.wasm [ARGS...]
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import { argv, env, exit } from "node:process";

const [file, ...args] = argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [file, ...args], env, preopens: { "/": "." }, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
