// A WASI command for the shim tests and bench/shim: greets with its
// arguments, reads a file from the image, exits with $EXIT_CODE.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  printf("hello from wasi");
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  printf("\n");
  FILE* f = fopen("/etc/greeting", "r");
  if (f) {
    char buf[128];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    printf("greeting: %s", buf);
    fclose(f);
  }
  const char* code = getenv("EXIT_CODE");
  return code ? atoi(code) : 0;
}
