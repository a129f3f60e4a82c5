// File I/O: create, write, seek, truncate, rename, readdir (sorted), stat, unlink.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

int main(void) {
  if (mkdir("work", 0755) != 0) { perror("mkdir"); return 1; }
  FILE* f = fopen("work/a.txt", "w+");
  if (!f) { perror("fopen"); return 1; }
  for (int i = 0; i < 100; i++) fprintf(f, "line %d\n", i);
  fseek(f, 10, SEEK_SET);
  char buf[32] = {0};
  fread(buf, 1, 12, f);
  printf("at 10: [%s]\n", buf);
  printf("tell: %ld\n", ftell(f));
  fseek(f, -7, SEEK_END);
  memset(buf, 0, sizeof buf);
  fread(buf, 1, 7, f);
  printf("tail: [%s]\n", buf);
  fclose(f);
  struct stat st;
  stat("work/a.txt", &st);
  printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  truncate("work/a.txt", 20);
  stat("work/a.txt", &st);
  printf("truncated size %lld\n", (long long)st.st_size);
  if (rename("work/a.txt", "work/b.txt") != 0) perror("rename");
  printf("old exists %d new exists %d\n", access("work/a.txt", F_OK) == 0, access("work/b.txt", F_OK) == 0);
  int fd = open("work/c.bin", O_CREAT | O_WRONLY | O_EXCL, 0644);
  write(fd, "xyz", 3);
  close(fd);
  printf("excl again fails %d\n", open("work/c.bin", O_CREAT | O_WRONLY | O_EXCL, 0644) < 0);
  mkdir("work/sub", 0755);
  DIR* d = opendir("work");
  char* names[16];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 16)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof(char*), cmp);
  for (int i = 0; i < n; i++) {
    printf("entry %s\n", names[i]);
    free(names[i]);
  }
  printf("rmdir nonempty fails %d\n", rmdir("work") != 0);
  unlink("work/b.txt");
  unlink("work/c.bin");
  rmdir("work/sub");
  printf("rmdir now %d\n", rmdir("work"));
  printf("missing: %d\n", fopen("nope/x", "r") == NULL);
  return 0;
}
