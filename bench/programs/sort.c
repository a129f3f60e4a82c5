// Memory traffic and indirect calls: qsort of strings (via pointers) and of structs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct { unsigned key; unsigned payload[3]; } Rec;
static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }
static int cmp_rec(const void* a, const void* b) {
  unsigned x = ((const Rec*)a)->key, y = ((const Rec*)b)->key;
  return x < y ? -1 : x > y;
}
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 400000;
  unsigned s = 42;
  char** strs = malloc(sizeof(char*) * n);
  for (int i = 0; i < n; i++) {
    int len = 4 + (s % 12);
    strs[i] = malloc(len + 1);
    for (int j = 0; j < len; j++) { s = s * 1103515245u + 12345u; strs[i][j] = 'a' + (s >> 16) % 26; }
    strs[i][len] = 0;
  }
  qsort(strs, n, sizeof(char*), cmp_str);
  unsigned long long h = 0;
  for (int i = 0; i < n; i += 97) h = h * 31 + (unsigned char)strs[i][0] + (unsigned char)strs[i][1];
  Rec* recs = malloc(sizeof(Rec) * n * 2);
  for (int i = 0; i < n * 2; i++) { s = s * 1103515245u + 12345u; recs[i].key = s; recs[i].payload[0] = i; }
  qsort(recs, n * 2, sizeof(Rec), cmp_rec);
  for (int i = 0; i < n * 2; i += 101) h = h * 31 + recs[i].payload[0];
  printf("first %s last %s hash %llu\n", strs[0], strs[n - 1], h);
  for (int i = 0; i < n; i++) free(strs[i]);
  free(strs); free(recs);
  return 0;
}
