// containerd-shim-whirl-v2: containerd runs this for runtime io.containerd.whirl.v2.
#include "shim/shim_main.h"

int main(int argc, char** argv) { return whirl::shim::shim_main(argc, argv); }
