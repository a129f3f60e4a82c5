// Branchy code: a tokenizer + recursive-descent parser + stack-machine
// interpreter for arithmetic expressions, run over generated programs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
enum { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, JNZ, HALT };
typedef struct { int op, arg; } Ins;
static const char* p;
static Ins code[4096];
static int ncode;
static void emit(int op, int arg) { code[ncode].op = op; code[ncode].arg = arg; ncode++; }
static void expr(void);
static void skip(void) { while (*p == ' ') p++; }
static void atom(void) {
  skip();
  if (*p == '(') { p++; expr(); skip(); p++; }
  else if (*p >= 'a' && *p <= 'z') { emit(LOAD, *p - 'a'); p++; }
  else { int v = 0; while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0'); emit(PUSH, v); }
}
static void term(void) {
  atom();
  for (;;) {
    skip();
    char c = *p;
    if (c != '*' && c != '/' && c != '%') return;
    p++; atom();
    emit(c == '*' ? MUL : c == '/' ? DIV : MOD, 0);
  }
}
static void expr(void) {
  term();
  for (;;) {
    skip();
    char c = *p;
    if (c != '+' && c != '-') return;
    p++; term();
    emit(c == '+' ? ADD : SUB, 0);
  }
}
static long long run(long long* vars, int iters) {
  long long stack[256];
  long long acc = 0;
  for (int it = 0; it < iters; it++) {
    int sp = 0;
    for (int pc = 0; pc < ncode; pc++) {
      Ins in = code[pc];
      switch (in.op) {
        case PUSH: stack[sp++] = in.arg; break;
        case LOAD: stack[sp++] = vars[in.arg]; break;
        case ADD: sp--; stack[sp - 1] = (long long)((unsigned long long)stack[sp - 1] + (unsigned long long)stack[sp]); break;
        case SUB: sp--; stack[sp - 1] = (long long)((unsigned long long)stack[sp - 1] - (unsigned long long)stack[sp]); break;
        case MUL: sp--; stack[sp - 1] = (long long)((unsigned long long)stack[sp - 1] * (unsigned long long)stack[sp]); break;
        case DIV: sp--; stack[sp - 1] = stack[sp] > 0 ? stack[sp - 1] / stack[sp] : 0; break;
        case MOD: sp--; stack[sp - 1] = stack[sp] > 0 ? stack[sp - 1] % stack[sp] : 0; break;
      }
    }
    acc = (long long)((unsigned long long)acc + (unsigned long long)stack[0]);
    vars[it % 26] = (stack[0] & 1023) + 1;
  }
  return acc;
}
int main(int argc, char** argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 40000;
  char src[8192];
  unsigned s = 7;
  long long vars[26], total = 0;
  for (int prog = 0; prog < 20; prog++) {
    int len = 0, depth = 0;
    for (int t = 0; t < 300; t++) {
      s = s * 1103515245u + 12345u;
      int r = (s >> 16) % 10;
      if (r < 2 && depth < 8) { src[len++] = '('; depth++; }
      if (r < 5) src[len++] = 'a' + (s >> 8) % 26;
      else len += sprintf(src + len, "%u", (s >> 4) % 100 + 1);
      if (r == 9 && depth > 0) { src[len++] = ')'; depth--; }
      src[len++] = " +-*/%+-+"[(s >> 20) % 9];
      if (src[len - 1] == ' ') src[len - 1] = '+';
    }
    src[len++] = '1';
    while (depth-- > 0) src[len++] = ')';
    src[len] = 0;
    p = src; ncode = 0;
    expr();
    for (int i = 0; i < 26; i++) vars[i] = i + 1;
    total = (long long)((unsigned long long)total + (unsigned long long)run(vars, iters));
  }
  printf("total %lld\n", total);
  return 0;
}
