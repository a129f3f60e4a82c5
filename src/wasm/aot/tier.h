// The aot tier: wasm functions compiled by LLVM to native code, loaded
// from an ELF object (elf_loader.h), entered through per-function array
// entries and linked to the runtime through VmContext (objects.h).
// docs/architecture.md, "Execution tiers".
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "wasm/aot/elf_loader.h"
#include "wasm/runtime/tier.h"

namespace whirl::wasm::rt {
struct VmContext;
}  // namespace whirl::wasm::rt

namespace whirl::wasm::aot {

class AotModule final : public rt::TieredModule {
 public:
  AotModule();
  ~AotModule() override;
  std::vector<std::unique_ptr<LoadedObject>> code;  // one per compiled part
  std::vector<const void*> natives;  // w<i> of each defined function
  using Entry = void (*)(rt::VmContext*, uint64_t*);
  std::vector<Entry> entries;        // t<i>, its array-call entry
  std::vector<int> registered;       // the parts' slots in the code registry
  bool from_cache = false;           // loaded, not compiled
};

// The tier (rt::find_tier("aot") once registered).
const rt::Tier& aot_tier();
// "auto": native code when the cache (or a given artifact) has it, else the
// interpreter.
const rt::Tier& auto_tier();
// Registers it with the runtime (rt::register_tier); false where LLVM has
// no native target (the interpreter stays the only tier).
bool register_aot_tier();
// Makes "interp", "aot" or "auto" the tier modules compile for, with the
// compiled-code cache on or off: what `--tier` and the shim's WHIRL_TIER
// do. An error names what is wrong.
Expected<void> select_tier(std::string_view name, bool cache);
// Where a long compile without a progress callback of its own shows its
// progress (platform::TerminalProgress: only on a terminal); null: nowhere.
void show_compile_progress(std::FILE* out);

}  // namespace whirl::wasm::aot
