// A WAGI test component: what it does depends on PATH_INFO (or the query for
// exact routes), so one module covers every integration check.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

static int starts(const char* s, const char* p) { return strncmp(s, p, strlen(p)) == 0; }

// Recursion without end: the engine's call depth limit stops it. The call
// goes through a volatile pointer so the compiler cannot make it a loop.
static int recurse(int n);
static int (*volatile recurse_ptr)(int) = recurse;
static int recurse(int n) { return recurse_ptr(n + 1) + 1; }

int main(int argc, char** argv) {
  const char* info = getenv("PATH_INFO");
  const char* query = getenv("QUERY_STRING");
  const char* what = info && *info ? info : (query ? query : "");
  if (starts(what, "/trap")) __builtin_trap();
  if (starts(what, "/loop")) {
    volatile unsigned long n = 0;
    for (;;) n++;
  }
  if (starts(what, "/endless")) {  // a body without end: stopped by the time limit or the client leaving
    static char chunk[65536];
    memset(chunk, 'e', sizeof chunk);
    printf("Content-Type: application/octet-stream\n\n");
    for (;;)
      if (fwrite(chunk, 1, sizeof chunk, stdout) != sizeof chunk) return 1;
  }
  if (starts(what, "/stderrflood")) {  // 3 MiB of stderr, then an answer
    static char line[1024];
    memset(line, 's', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 3 * 1024; i++) fwrite(line, 1, sizeof line, stderr);
    printf("Content-Type: text/plain\n\nflooded\n");
    return 0;
  }
  if (starts(what, "/big")) {  // 5,000,000 bytes of body
    static char chunk[50000];
    memset(chunk, 'b', sizeof chunk);
    printf("Content-Type: application/octet-stream\n\n");
    for (int i = 0; i < 100; i++) fwrite(chunk, 1, sizeof chunk, stdout);
    return 0;
  }
  if (starts(what, "/recurse")) return recurse(1) == 0;
  if (starts(what, "/exit")) {
    printf("Content-Type: text/plain\n\nexiting\n");
    exit(3);
  }
  if (starts(what, "/nocgi")) {
    printf("this is not a CGI response\n");
    return 0;
  }
  if (starts(what, "/silent")) return 0;
  if (starts(what, "/stderr")) {
    fprintf(stderr, "probe says hello on stderr\n");
    printf("Content-Type: text/plain\n\nlogged\n");
    return 0;
  }
  if (starts(what, "/status/")) {
    printf("Status: %s\nContent-Type: text/plain\nX-Probe: yes\n\nstatus body\n", what + 8);
    return 0;
  }
  if (starts(what, "/redirect")) {
    printf("Location: /elsewhere\n\n");
    return 0;
  }
  if (starts(what, "/sleepforever")) {  // one long sleep: the time limit must still end it
    sleep(3600);
    printf("Content-Type: text/plain\n\nwoke\n");
    return 0;
  }
  if (starts(what, "/sleep")) {
    usleep(2000 * 1000);
    printf("Content-Type: text/plain\n\nslept\n");
    return 0;
  }
  if (starts(what, "/file")) {
    FILE* f = fopen("/data/hello.txt", "r");
    printf("Content-Type: text/plain\n\n");
    if (!f) {
      printf("no file\n");
      return 0;
    }
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fwrite(buf, 1, n, stdout);
    fclose(f);
    FILE* w = fopen("/data/new.txt", "w");
    printf("write %s\n", w ? "allowed" : "refused");
    return 0;
  }
  if (starts(what, "/echo")) {
    printf("Content-Type: application/octet-stream\n\n");
    char buf[65536];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
      fwrite(buf, 1, n, stdout);
      total += n;
    }
    return 0;
  }
  // Default: the environment and argv, one per line.
  printf("Content-Type: text/plain\n\n");
  for (int i = 0; i < argc; i++) printf("ARG%d=%s\n", i, argv[i]);
  for (char** e = environ; *e; e++) printf("%s\n", *e);
  return 0;
}
