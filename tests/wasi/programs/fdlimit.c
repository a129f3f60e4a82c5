// Opens one file again and again until that fails: a guest must hit a
// descriptor limit of its own (EMFILE), as a native process hits its
// RLIMIT_NOFILE, instead of using up the host's descriptors.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  FILE* f = fopen("fdlimit.txt", "w");
  if (!f) return 2;
  fclose(f);
  int opened = 0;
  for (int i = 0; i < 100000; i++) {
    if (open("fdlimit.txt", O_RDONLY) < 0) {
      int e = errno;  // before printf, which may set it
      printf("opened more than 500: %s\n", opened > 500 ? "yes" : "no");
      printf("error: %s\n", e == EMFILE ? "EMFILE" : "other");
      return 0;
    }
    opened++;
  }
  printf("no limit after %d\n", opened);
  return 1;
}
