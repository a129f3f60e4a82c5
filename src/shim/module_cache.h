// Compiled WASI modules shared by the tasks of one shim. A task process is
// forked from the shim, so a module the shim has compiled reaches it
// copy-on-write, at no cost; without this every task reads, validates and
// compiles its module again (most of Create's time for a small task).
//
// Crash isolation is kept: the shim compiles only bytes that a task process
// has already compiled successfully (the first task with a module compiles
// it itself, as before; a module that crashes the compiler takes down that
// task, never the shim). Entries are looked up by content (size, then the
// bytes), and live while a task created from them does: a shim with no
// tasks holds no modules.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace whirl::wasm {
class CompiledModule;
}

namespace whirl::shim {

class ModuleCache {
 public:
  struct Entry {
    std::vector<uint8_t> bytes;
    std::mutex mu;  // guards the two below
    bool verified = false;  // a task process compiled these bytes
    std::shared_ptr<const wasm::CompiledModule> compiled;
  };
  using Handle = std::shared_ptr<Entry>;

  // The entry for these bytes: an existing one with the same content, or a
  // new one (which copies them).
  Handle lookup(std::span<const uint8_t> bytes);
  // The compiled module, compiling it here if a task process already did;
  // null when the task process must compile it (first use, or an error).
  static std::shared_ptr<const wasm::CompiledModule> compiled(const Handle& entry);
  // A task process compiled the entry's bytes successfully.
  static void mark_verified(const Handle& entry);
  // Entries alive (for tests).
  size_t size();

 private:
  std::mutex mu_;
  std::multimap<size_t, std::weak_ptr<Entry>> entries_;  // by size
};

}  // namespace whirl::shim
