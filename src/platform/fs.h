// Sandboxed path resolution: open a path strictly beneath a directory
// descriptor. Uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the
// kernel has it; otherwise a component-by-component walk that refuses
// absolute paths, ".." above the start and symlinks.
#pragma once

#include <string>

namespace whirl::platform {

// Returns a new descriptor or -errno (-EXDEV when the path would escape).
int open_beneath(int dirfd, const std::string& path, int flags, int mode, bool follow_final_symlink);

// Opens the directory that holds the last component of `path` beneath
// `dirfd` (O_PATH) and returns it, with that component in *name.
int open_parent_beneath(int dirfd, const std::string& path, std::string* name);

}  // namespace whirl::platform
