// argv, environment, exit code, stdin piping, clocks and random bytes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  printf("argc %d\n", argc);
  for (int i = 1; i < argc; i++) printf("arg %s\n", argv[i]);
  printf("GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
  char line[256];
  long total = 0;
  int lines = 0;
  while (fgets(line, sizeof line, stdin)) {
    lines++;
    total += (long)strlen(line);
  }
  printf("stdin lines %d bytes %ld\n", lines, total);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("monotonic ok %d\n", (b.tv_sec > a.tv_sec) || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
  printf("realtime after 2020 %d\n", time(NULL) > 1577836800);
  unsigned char r[32] = {0};
  getentropy(r, sizeof r);
  int nonzero = 0;
  for (int i = 0; i < 32; i++) nonzero += r[i] != 0;
  printf("random has entropy %d\n", nonzero > 16);
  return argc > 2 ? atoi(argv[2]) : 0;
}
