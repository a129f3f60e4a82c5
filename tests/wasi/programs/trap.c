// A guest that traps: whirl reports the trap and exits with 134.
#include <stdio.h>
__attribute__((noinline)) void crash_here(void) { __builtin_trap(); }
int main(void) {
  printf("before\n");
  fflush(stdout);
  crash_here();
  return 0;
}
