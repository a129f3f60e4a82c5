#include <cstdio>
int main() { std::puts("whirl: not yet"); return 1; }
