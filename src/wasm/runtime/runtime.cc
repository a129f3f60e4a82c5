#include "wasm/runtime/runtime.h"
