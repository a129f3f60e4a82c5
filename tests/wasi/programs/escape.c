// Sandbox escape attempts: every one must be refused (wasm only; natively
// these would succeed, so this program is not compared with a native run).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void attempt(const char* what, int ok) { printf("%s: %s\n", what, ok ? "ESCAPED" : "refused"); }

int main(void) {
  attempt("dotdot", open("../outside.txt", O_RDONLY) >= 0);
  attempt("deep dotdot", open("a/../../outside.txt", O_RDONLY) >= 0);
  attempt("absolute", open("/etc/passwd", O_RDONLY) >= 0);
  symlink("../outside.txt", "link-out");
  attempt("guest symlink", open("link-out", O_RDONLY) >= 0);
  attempt("host symlink", open("host-link", O_RDONLY) >= 0);
  attempt("hard link out", link("../outside.txt", "hard") == 0);
  attempt("mkdir above", mkdir("../newdir", 0755) == 0);
  attempt("rename out", rename("inside.txt", "../moved.txt") == 0);
  struct stat st;
  attempt("stat outside", stat("../outside.txt", &st) == 0);
  return 0;
}
