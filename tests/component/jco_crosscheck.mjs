// Cross-checks our component text parser against wasm-tools (through jco's
// `parse`): rewrites a .wast script so that every text component in it
// becomes `(component ... binary "...")` with the bytes jco makes of the same
// text. `whirl wast` must then give the same results on both scripts: the
// same binaries behave the same. Components that test the text parser
// itself (assert_malformed) and ones jco cannot parse stay as they are.
// Usage: node jco_crosscheck.mjs IN.wast OUT.wast   (run where jco is installed)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [input, output, toolsDir] = process.argv.slice(2);
const require = createRequire(pathToFileURL(toolsDir + '/'));
const { parse } = await import(pathToFileURL(require.resolve('@bytecodealliance/jco')).href);
const src = readFileSync(input, 'utf8');

// The end (exclusive) of the form starting at src[i] === '('.
function formEnd(i) {
  let depth = 0;
  for (; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    } else if (c === ';' && src[i + 1] === ';') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '(' && src[i + 1] === ';') {
      let d = 1;
      for (i += 2; i < src.length && d > 0; i++) {
        if (src[i] === '(' && src[i + 1] === ';') d++, i++;
        else if (src[i] === ';' && src[i + 1] === ')') d--, i++;
      }
      i--;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced form at ${i}`);
}

// The words after '(' (keywords and ids), skipping whitespace.
function words(i, n) {
  const out = [];
  let j = i + 1;
  while (out.length < n) {
    while (/\s/.test(src[j])) j++;
    const m = /^[^\s()";]+/.exec(src.slice(j, j + 200));
    if (!m) break;
    out.push({ text: m[0], end: j + m[0].length });
    j += m[0].length;
  }
  return out;
}

const hex = (bytes) => Array.from(bytes, (b) => '\\' + b.toString(16).padStart(2, '0')).join('');

// A component form [i, end) in binary form, or null to keep it.
async function convert(i, end) {
  const w = words(i, 3);
  if (w[0]?.text !== 'component') return null;
  let k = 1;
  const head = ['component'];
  if (w[k]?.text === 'definition') head.push('definition'), k++;
  if (w[k]?.text === 'instance' || w[k]?.text === 'binary' || w[k]?.text === 'quote') return null;
  if (w[k]?.text.startsWith('$')) head.push(w[k].text), k++;
  const bodyStart = k > 1 ? w[k - 1].end : w[0].end;
  const text = '(component ' + src.slice(bodyStart, end);
  try {
    return `(${head.join(' ')} binary "${hex(await parse(text))}")`;
  } catch {
    return null;
  }
}

let out = '';
let last = 0;
let converted = 0;
for (let i = 0; i < src.length; ) {
  const c = src[i];
  if (c === ';' && src[i + 1] === ';') {
    while (i < src.length && src[i] !== '\n') i++;
    continue;
  }
  if (c === '(' && src[i + 1] === ';') {
    i = formEnd(i);
    continue;
  }
  if (c === '"') {
    for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    i++;
    continue;
  }
  if (c !== '(') {
    i++;
    continue;
  }
  const end = formEnd(i);
  const head = words(i, 1)[0]?.text;
  let target = null; // [start, end) of the component form to convert
  if (head === 'component') target = [i, end];
  else if (head && head.startsWith('assert_') && head !== 'assert_malformed') {
    let j = words(i, 1)[0].end;
    while (/\s/.test(src[j])) j++;
    if (src[j] === '(' && words(j, 1)[0]?.text === 'component') target = [j, formEnd(j)];
  }
  if (target) {
    const bin = await convert(target[0], target[1]);
    if (bin) {
      out += src.slice(last, target[0]) + bin;
      last = target[1];
      converted++;
    }
  }
  i = end;
}
out += src.slice(last);
writeFileSync(output, out);
console.log(`${input}: ${converted} text components replaced by jco's binaries`);
