// A Spin-sized JS component for load-time measurements: StarlingMonkey
// (SpiderMonkey) plus this script, as componentize-js builds it.
export function greet(name) {
  return `Hello, ${name}!`;
}
