// What the runtime knows of an execution tier (the interpreter today; the
// native tier of LLVM code next): how to translate a validated module,
// what a defined function's FuncImpl holds of the tier's code, and how to
// run a function from the host. The store, instances, linking, WASI and
// components are the same whatever the tier; the parts of a compiled
// module that do not depend on the tier (TieredModule) are the runtime's.
// docs/architecture.md, "Execution tiers".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wasm/runtime/memory_image.h"
#include "wasm/runtime/runtime.h"

namespace whirl::wasm::rt {

class StoreImpl;
class FuncImpl;
class InstanceImpl;
class TieredModule;

class Tier {
 public:
  virtual ~Tier() = default;
  virtual std::string_view name() const = 0;  // "interp", ...
  // Translates a module that passed validate_module (prepare_module first).
  virtual Expected<std::shared_ptr<const CompiledModule>> compile(std::shared_ptr<const Module> module,
                                                                  const CompileOptions& options) const = 0;
  // Code this tier compiled before from exactly `source` (its module then
  // validated whole), as CompileOptions::found for compile; null: none.
  // `digest`, when given, is platform::digest(source).
  virtual std::shared_ptr<const void> find_compiled(std::span<const uint8_t> source,
                                                    const platform::Digest* digest = nullptr) const {
    (void)source, (void)digest;
    return nullptr;
  }
  // At instantiation: constructs `m`'s defined functions of `instance` in
  // `storage` (uninitialized, one per defined function) and points
  // `slots[i]` at each; one pass (a language runtime has 10,000s), the
  // tier's code and make_func's fields together.
  virtual void make_funcs(const TieredModule& m, InstanceImpl* instance, FuncImpl* storage,
                          FuncImpl** slots) const = 0;
  // Runs `f` from the host: arguments in `args` (as Value::bits), results
  // written to `results`; a trap with its wasm backtrace. `f` is a function
  // of a module this tier compiled, or a host function.
  virtual std::optional<Trap> call(StoreImpl& s, FuncImpl* f, const uint64_t* args, uint64_t* results) const = 0;
};

// The interpreter: always there, and what runs host functions called from
// the host (entering one needs no code of a tier's own).
const Tier& interp_tier();
// What compile_module uses unless its options name a tier: the interpreter
// unless set_default_tier chose another (the front ends' --tier).
const Tier& default_tier();
void set_default_tier(const Tier& t);
// Tiers by name ("interp", and "aot" once its library registered it).
void register_tier(const Tier& t);
const Tier* find_tier(std::string_view name);
// The tier CompileOptions::tier names (the default tier when empty); null:
// no such tier in this build.
const Tier* tier_for(std::string_view name);

// A compiled module: what every tier's has.
// Instances of one module whose stores are gone, kept whole: their
// function objects already point at them and hold the module's code, so an
// instantiation that takes one writes only what differs (imports, tables,
// memories, globals) instead of an object per function (a language
// runtime has 10,000s). It keeps at most kMax, so what it holds follows how
// many instances were alive at once.
class InstanceShells {
 public:
  static constexpr size_t kMax = 4;
  InstanceShells() = default;
  InstanceShells(const InstanceShells&) = delete;
  InstanceShells& operator=(const InstanceShells&) = delete;
  ~InstanceShells();
  std::unique_ptr<InstanceImpl> take();  // null when none is kept
  // Keeps `shell` (emptied of what belonged to its store) or frees it.
  void give(std::unique_ptr<InstanceImpl> shell);
  size_t kept() const;

 private:
  mutable std::mutex mu_;
  std::vector<InstanceImpl*> spare_;
};

class TieredModule : public CompiledModule {
 public:
  explicit TieredModule(const Tier& t) : tier(&t) {}
  const Tier* tier;
  std::shared_ptr<const Module> mod;
  std::vector<uint32_t> type_ids;  // canonical id of each module type
  // What each defined function's FuncImpl holds whatever the instance and
  // tier, contiguous: instantiation copies it instead of gathering it from
  // the module's function records.
  struct FuncTemplate {
    const FuncType* sig;
    uint32_t type_id;
    uint32_t index;  // in the module's function space
  };
  std::vector<FuncTemplate> func_templates;
  // Per element segment, when every item is a plain `ref.func i`: the
  // function indices (a table of thousands of functions is filled without
  // evaluating each item); else empty.
  std::vector<std::vector<uint32_t>> elem_funcs;
  // Export name -> its index in mod->exports: instances look exports up
  // through it instead of each keeping a map of its own.
  std::unordered_map<std::string_view, uint32_t> export_index;
  // Its defined memories' initial contents, built at first instantiation.
  MemoryImages images;
  mutable InstanceShells shells;

  const Module& module() const override { return *mod; }
  std::shared_ptr<const Module> module_ptr() const override { return mod; }
  std::string_view tier_name() const override { return tier->name(); }
};

// Fills TieredModule's tables from `module` (every tier's compile does this
// first).
void prepare_module(TieredModule& c, std::shared_ptr<const Module> module);

// make_func (objects.h) constructs one with what every tier sets.

}  // namespace whirl::wasm::rt
