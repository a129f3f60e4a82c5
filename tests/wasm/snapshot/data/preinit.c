// A program with costly initialization, pre-initialized by `whirl snapshot`
// (Wizer's convention: the export "wizer.initialize"). main initializes
// only when that has not happened, so the snapshot's output shows whether
// its state came through: the tables, the heap allocation and its contents,
// and the count of initializations (1 either way; 2 would mean it ran
// again). Built natively too: the native run is the reference output.
// With -DWAGI, a WAGI app: CGI headers first, and a last line saying
// whether it started initialized (a snapshot) or initialized itself.
// With -DCOMPONENT, for a component (jco new --wasi-command): that last
// line too, and the initialization exported as `wizer-initialize` as well,
// the name a component's initialization has (tests/wasm/snapshot/data/preinit.wit).
// With -DNOISY, the initialization prints.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int initialized;
static int init_runs;
static unsigned table[16384];
static char* greeting;
static double ratios[64];

#ifdef __wasm__
__attribute__((export_name("wizer.initialize")))
#endif
void init(void) {
#ifdef NOISY
  printf("initializing\n");  // WASI during initialization (a component snapshot refuses it)
#endif
  ++init_runs;
  unsigned x = 2463534242u;
  for (unsigned i = 0; i < 16384; ++i) {  // xorshift: non-zero, not all alike
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    table[i] = (i % 7 == 0) ? 0 : x;  // zero runs too
  }
  greeting = malloc(200000);  // grows the heap (memory.grow) past the data
  strcpy(greeting, "made during initialization");
  memset(greeting + 100000, 'z', 99999);
  for (int i = 0; i < 64; ++i) ratios[i] = (i + 1) / 3.0;
  initialized = 1;
}

#if defined(COMPONENT) && defined(__wasm__)
__attribute__((export_name("wizer-initialize"))) void component_init(void) { init(); }
#endif

int main(void) {
#if defined(WAGI) || defined(COMPONENT)
  const int preinitialized = initialized;
#endif
#ifdef WAGI
  printf("Content-Type: text/plain\n\n");
#endif
  if (!initialized) init();
  unsigned sum = 0;
  for (unsigned i = 0; i < 16384; ++i) sum = sum * 31 + table[i];
  double r = 0;
  for (int i = 0; i < 64; ++i) r += ratios[i];
  size_t zs = strlen(greeting + 100000);
  printf("init_runs=%d sum=%u ratios=%.6f greeting=\"%s\" z=%zu\n", init_runs, sum, r, greeting, zs);
#if defined(WAGI) || defined(COMPONENT)
  printf("preinitialized=%d\n", preinitialized);
#endif
  return 0;
}
