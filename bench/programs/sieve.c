// Integer loops over memory: sieve of Eratosthenes, repeated.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000000;
  int rounds = 5;
  unsigned char* composite = malloc(n + 1);
  long long total = 0;
  for (int r = 0; r < rounds; r++) {
    memset(composite, 0, n + 1);
    int count = 0;
    for (int i = 2; i <= n; i++) {
      if (composite[i]) continue;
      count++;
      for (long long j = (long long)i * i; j <= n; j += i) composite[j] = 1;
    }
    total += count;
  }
  printf("primes below %d: %lld (x%d)\n", n, total / rounds, rounds);
  free(composite);
  return 0;
}
