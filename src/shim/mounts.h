// Mounting a task's root filesystem from the mounts containerd's snapshotter
// returns (bind for `native`, overlay for `overlayfs`): the OS calls of the
// shim's Create and Delete.
#pragma once

#include <string>
#include <vector>

#include "common/expected.h"

namespace whirl::shim {

struct MountSpec {
  std::string type;    // "bind", "overlay", ...
  std::string source;
  std::vector<std::string> options;  // "ro", "rbind", "lowerdir=...", ...
};

// Mounts each entry onto `target` in order, as containerd's mount.All does.
// On error, whatever was mounted is unmounted again.
Expected<void> mount_all(const std::vector<MountSpec>& mounts, const std::string& target);
// Unmounts everything stacked on `target` (lazily if busy); true if anything was.
bool unmount_all(const std::string& target);

}  // namespace whirl::shim
