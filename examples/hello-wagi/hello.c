// A WAGI component: a wasm32-wasi command that answers in CGI on stdout.
// Spin passes the request as CGI environment variables; `/hello/:name`
// arrives as X_PATH_MATCH_NAME, the wildcard's rest as PATH_INFO.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char* name = getenv("X_PATH_MATCH_NAME");
  const char* path = getenv("PATH_INFO");
  const char* method = getenv("REQUEST_METHOD");
  printf("Content-Type: text/plain\n\n");
  if (name) {
    printf("Hello, %s!\n", name);
  } else {
    printf("Hello from whirl! %s %s\n", method ? method : "?", path && *path ? path : "/");
  }
  return 0;
}
