// Floating point over arrays: dense matrix multiply (i-k-j order).
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 600;
  double* a = malloc(sizeof(double) * n * n);
  double* b = malloc(sizeof(double) * n * n);
  double* c = calloc((size_t)n * n, sizeof(double));
  for (int i = 0; i < n * n; i++) { a[i] = (i % 17) * 0.25 - 1.0; b[i] = (i % 13) * 0.5 + 0.125; }
  for (int rep = 0; rep < 3; rep++)
    for (int i = 0; i < n; i++)
      for (int k = 0; k < n; k++) {
        double aik = a[i * n + k];
        for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
      }
  double sum = 0;
  for (int i = 0; i < n * n; i++) sum += c[i] * ((i & 7) + 1);
  printf("checksum %.6f\n", sum);
  return 0;
}
