// Anchor translation unit so whirl_common is a real library; helpers that
// are not templates live beside it.
#include "common/expected.h"
