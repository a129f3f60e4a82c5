// What the interpreter calls off its fast path: host functions and trap
// construction (kept out of exec.cc's handler function).
#include "wasm/interp/host_call.h"

#include <string>
#include <vector>

namespace whirl::wasm::rt {
namespace {

class CallerImpl final : public Caller {
 public:
  explicit CallerImpl(InstanceImpl* inst) : inst_(inst) {}
  MemoryInst* memory() override { return inst_ && !inst_->memories.empty() ? inst_->memories[0] : nullptr; }
  Instance* instance() override { return inst_; }

 private:
  InstanceImpl* inst_;
};

}  // namespace

std::optional<Trap> call_host(StoreImpl& s, FuncImpl* f, InstanceImpl* caller, uint64_t* args_results) {
  // A function of another tier (compiled code): entered through its tier.
  if (!f->host) return f->instance->compiled->tier->call(s, f, args_results, args_results);
  const FuncType& t = *f->sig;
  Value args[16], results[16];
  std::vector<Value> big_args, big_results;
  Value* a = args;
  Value* r = results;
  if (t.params.size() > 16) big_args.resize(t.params.size()), a = big_args.data();
  if (t.results.size() > 16) big_results.resize(t.results.size()), r = big_results.data();
  for (size_t i = 0; i < t.params.size(); ++i) a[i] = {t.params[i], args_results[i]};
  for (size_t i = 0; i < t.results.size(); ++i) r[i] = Value::zero(t.results[i]);
  CallerImpl c(caller);
  auto trap = f->host->fn(c, std::span<const Value>(a, t.params.size()), std::span<Value>(r, t.results.size()));
  if (trap) return trap;
  for (size_t i = 0; i < t.results.size(); ++i) args_results[i] = r[i].bits;
  return std::nullopt;
}

Trap make_trap(TrapCode code, const InterpFrame* frames, size_t first, size_t end, FuncImpl* entry) {
  Trap t;
  t.code = code;
  t.message = trap_message(code);
  // The wasm functions innermost first; names only for the frames kept
  // (a stack exhausted by recursion has max_call_depth of them).
  std::vector<FuncImpl*> fs;
  fs.reserve(end - first + 1);
  for (size_t i = end; i-- > first;)
    if (frames[i].fn && frames[i].fn->instance) fs.push_back(frames[i].fn);
  if (entry && entry->instance) fs.push_back(entry);
  auto frame = [](FuncImpl* f) -> TrapFrame {
    std::string name = f->instance->module().func_name(f->index);
    return {f->index, name.empty() ? "<func " + std::to_string(f->index) + ">" : std::move(name)};
  };
  size_t n = fs.size();
  bool cut = n > 2 * kBacktraceEnds;
  t.backtrace.reserve(cut ? 2 * kBacktraceEnds : n);
  for (size_t i = 0; i < n; ++i) {
    if (cut && i == kBacktraceEnds) i = n - kBacktraceEnds;
    t.backtrace.push_back(frame(fs[i]));
  }
  if (cut) t.omitted_frames = n - 2 * kBacktraceEnds;
  return t;
}

}  // namespace whirl::wasm::rt
