// containerd-shim-whirl-v2: the shim v2 command line containerd runs.
//   -namespace NS -address SOCK -publish-binary BIN -id ID [-bundle DIR] [-debug] start|delete
// `start` launches (or reuses, per pod) the long-lived shim server and prints
// its ttrpc address; `delete` cleans up after a shim that died.
#pragma once

namespace whirl::shim {

int shim_main(int argc, char** argv);

}  // namespace whirl::shim
