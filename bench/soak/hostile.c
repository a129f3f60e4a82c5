// The soak test's WAGI guest (bench/soak/run.sh): one module, one behaviour
// per component, picked by the component's environment variable SOAK_MODE.
//   healthy  answers "ok"
//   trap     traps
//   loop     spins forever (whirl up --timeout stops it)
//   stdout   CGI headers, then an endless body in 64 KiB writes
//   stderr   endless stderr in 64 KiB writes (would answer after it)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char chunk[64 * 1024];

static void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

int main(void) {
  const char* mode = getenv("SOAK_MODE");
  if (!mode) mode = "healthy";
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  if (strcmp(mode, "loop") == 0) {
    volatile unsigned long n = 0;
    for (;;) n++;
  }
  if (strcmp(mode, "stdout") == 0) {
    static const char head[] = "Content-Type: application/octet-stream\n\n";
    write_all(1, head, sizeof head - 1);
    memset(chunk, 'o', sizeof chunk);
    for (;;) write_all(1, chunk, sizeof chunk);
  }
  if (strcmp(mode, "stderr") == 0) {
    memset(chunk, 'e', sizeof chunk);
    chunk[sizeof chunk - 1] = '\n';
    for (;;) write_all(2, chunk, sizeof chunk);
    printf("Content-Type: text/plain\n\nlogged\n");
    return 0;
  }
  printf("Content-Type: text/plain\n\nok\n");
  return 0;
}
