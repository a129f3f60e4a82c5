// malloc/free churn: binary trees built and torn down (the classic benchmark shape).
#include <stdio.h>
#include <stdlib.h>
typedef struct Node { struct Node *l, *r; } Node;
static Node* make(int d) {
  Node* n = malloc(sizeof(Node));
  if (d > 0) { n->l = make(d - 1); n->r = make(d - 1); } else { n->l = n->r = NULL; }
  return n;
}
static long long check(Node* n) { return 1 + (n->l ? check(n->l) + check(n->r) : 0); }
static void drop(Node* n) { if (n->l) { drop(n->l); drop(n->r); } free(n); }
int main(int argc, char** argv) {
  int maxd = argc > 1 ? atoi(argv[1]) : 18;
  Node* longlived = make(maxd);
  long long total = 0;
  for (int d = 4; d <= maxd; d += 2) {
    int iters = 1 << (maxd - d + 4);
    long long c = 0;
    for (int i = 0; i < iters; i++) { Node* t = make(d); c += check(t); drop(t); }
    total += c;
    printf("%d trees of depth %d: %lld\n", iters, d, c);
  }
  printf("long lived: %lld, total %lld\n", check(longlived), total);
  drop(longlived);
  return 0;
}
