// Canonical definitions (Binary.md "Canonical Definitions"): the options,
// the core signature a lift or lower implies (Canonical ABI flattening),
// and the built-ins, with wasmparser's messages.
#include <cctype>

#include "component/abi/layout.h"
#include "component/binary/scope.h"

namespace whirl::component::binary {
namespace {

using wasm::ValType;

std::string idx(uint32_t i) { return std::to_string(i); }

const char* encoding_name(StringEncoding e) {
  switch (e) {
    case StringEncoding::Utf8: return "utf8";
    case StringEncoding::Utf16: return "utf16";
    case StringEncoding::Latin1Utf16: return "latin1-utf16";
  }
  return "?";
}

ValType core_of(abi::CoreType t) {
  static const ValType kCore[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64};
  return kCore[static_cast<int>(t)];
}

// Rust's Debug of a core value type list: "[I32, I64]".
std::string debug_list(const std::vector<ValType>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    std::string n = wasm::to_string(v[i]);
    for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    s += (i ? ", " : "") + n;
  }
  return s + "]";
}

class Canonical {
 public:
  Canonical(Scope& s, const Canon& c) : s_(s), c_(c), o_(c.opts), off_(c.offset) {}

  void run() {
    CoreExtern result;  // the core function most built-ins define
    switch (c_.kind) {
      case CanonKind::Lift: lift(); return;
      case CanonKind::Lower: result.func = lower(); break;
      case CanonKind::ResourceNew:
        local_resource();
        result.func = wasm::FuncType{{ValType::I32}, {ValType::I32}};
        break;
      case CanonKind::ResourceDrop:
        s_.resource(c_.type, off_);
        result.func = wasm::FuncType{{ValType::I32}, {}};
        break;
      case CanonKind::ResourceRep:
        local_resource();
        result.func = wasm::FuncType{{ValType::I32}, {ValType::I32}};
        break;
      case CanonKind::TaskReturn: result.func = task_return(); break;
      case CanonKind::ContextGet:
      case CanonKind::ContextSet: {
        const char* what = canon_name(c_.kind);
        if (c_.core_type == ValType::I64)
          fail(std::string("64-bit `") + what + "` requires the component model 64-bit feature");
        if (c_.core_type != ValType::I32) fail(std::string("`") + what + "` only supports `i32` or `i64`");
        if (s_.context_type && *s_.context_type != c_.core_type)
          fail(std::string("`") + what + "` type must match previous context type");
        s_.context_type = c_.core_type;
        if (c_.context > 1) fail(std::string("`") + what + "` immediate must be zero or one: " + idx(c_.context));
        result.func = c_.kind == CanonKind::ContextGet ? wasm::FuncType{{}, {c_.core_type}}
                                                       : wasm::FuncType{{c_.core_type}, {}};
        break;
      }
      case CanonKind::StreamNew: case CanonKind::StreamRead: case CanonKind::StreamWrite:
      case CanonKind::StreamCancelRead: case CanonKind::StreamCancelWrite:
      case CanonKind::StreamDropReadable: case CanonKind::StreamDropWritable:
        async_type(TypeKind::Stream, "stream");
        options();
        break;
      case CanonKind::FutureNew: case CanonKind::FutureRead: case CanonKind::FutureWrite:
      case CanonKind::FutureCancelRead: case CanonKind::FutureCancelWrite:
      case CanonKind::FutureDropReadable: case CanonKind::FutureDropWritable:
        async_type(TypeKind::Future, "future");
        options();
        break;
      case CanonKind::ErrorContextNew:
      case CanonKind::ErrorContextDebugMessage: options(); break;
      case CanonKind::WaitableSetWait:
      case CanonKind::WaitableSetPoll: s_.core_entity(Sort::CoreMemory, c_.memory, off_); break;
      case CanonKind::ThreadNewIndirect:
      case CanonKind::ThreadSpawnIndirect:
        s_.core_entity(Sort::CoreTable, c_.table, off_);
        [[fallthrough]];
      case CanonKind::ThreadSpawnRef:
        if (!s_.core_type(c_.type, off_).func) fail("expected a core function type");
        break;
      default: break;
    }
    s_.core_funcs.push_back(result);
  }

 private:
  [[noreturn]] void fail(std::string m) { invalid(off_, std::move(m)); }

  const CoreExtern& core_func(uint32_t i) { return s_.core_entity(Sort::CoreFunc, i, off_); }

  // wasmparser's check_options.
  void options() {
    if (!o_.duplicates.empty()) {
      const std::string& d = o_.duplicates.front();
      if ((d == "utf8" || d == "utf16" || d == "latin1-utf16") && o_.encoding)
        fail(std::string("canonical encoding option `") + encoding_name(*o_.encoding) + "` conflicts with option `" +
             d + "`");
      fail("canonical option `" + d + "` is specified more than once");
    }
    if (o_.memory) s_.core_entity(Sort::CoreMemory, *o_.memory, off_);
    if (!o_.async && o_.callback) fail("cannot specify callback without async");
    if (o_.async && o_.post_return) fail("cannot specify post-return function in async");
    if (o_.realloc) {
      if (!o_.memory) fail("canonical option `realloc` requires `memory` to also be specified");
      const CoreExtern& f = core_func(*o_.realloc);
      if (f.func && *f.func != wasm::FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}})
        fail("canonical option `realloc` uses a core function with an incorrect signature");
    }
  }

  void require_memory() {
    if (!o_.memory) fail("canonical option `memory` is required");
  }
  void require_realloc() {
    require_memory();
    if (!o_.realloc) fail("canonical option `realloc` is required");
  }
  bool pointers(const ValTypePtr& t) { return t && measure(s_, *t).memory; }

  // The core signature of `f` lifted or lowered with these options
  // (wasmparser's ComponentFuncType::lower), requiring `memory` and
  // `realloc` where values go through linear memory.
  wasm::FuncType flatten(const FuncType& f, bool lifting) {
    if (o_.async && !f.async) fail("the `async` canonical option requires an async function type");
    const size_t kMaxParams = 16;
    size_t max_params = !lifting && o_.async ? 4 : kMaxParams;
    std::vector<abi::CoreType> params, one;
    for (const auto& p : f.params) {
      if (lifting ? pointers(p.type) && !o_.realloc : pointers(p.type) && !o_.memory)
        lifting ? require_realloc() : require_memory();
      one.clear();
      abi::flatten_type_into(*p.type, abi::PtrType::I32, one);
      if (params.size() + one.size() > max_params) {
        params = {abi::CoreType::I32};
        require_memory();
        if (lifting) require_realloc();
        break;
      }
      params.insert(params.end(), one.begin(), one.end());
    }
    if (!lifting && pointers(f.result) && !o_.realloc) require_realloc();
    std::vector<abi::CoreType> results;
    if (!o_.async) {
      if (f.result) {
        abi::flatten_type_into(*f.result, abi::PtrType::I32, results);
        if (results.size() > 1) {
          results.clear();
          require_memory();
          if (lifting) results.push_back(abi::CoreType::I32);
          else params.push_back(abi::CoreType::I32);
        }
      }
    } else if (!lifting) {
      if (f.result) {
        params.push_back(abi::CoreType::I32);
        require_memory();
      }
      results.push_back(abi::CoreType::I32);
    } else {
      if (f.result) {
        one.clear();
        abi::flatten_type_into(*f.result, abi::PtrType::I32, one);
        if ((one.size() > kMaxParams || pointers(f.result)) && !o_.memory) require_memory();
      }
      if (o_.callback) results.push_back(abi::CoreType::I32);
    }
    wasm::FuncType out;
    for (auto t : params) out.params.push_back(core_of(t));
    for (auto t : results) out.results.push_back(core_of(t));
    return out;
  }

  void lift() {
    const TypeEntry& t = s_.type(c_.type, off_);
    if (t.kind != TypeDef::Kind::Func) fail("type index " + idx(c_.type) + " is not a function type");
    const CoreExtern& callee = core_func(c_.func);
    options();
    if (o_.post_return) {
      const CoreExtern& pr = core_func(*o_.post_return);
      if (pr.func && callee.func && (pr.func->params != callee.func->results || !pr.func->results.empty()))
        fail("canonical option `post-return` uses a core function with an incorrect signature");
    }
    if (o_.async && o_.callback) {
      const CoreExtern& cb = core_func(*o_.callback);
      if (cb.func && cb.func->params != std::vector<ValType>{ValType::I32, ValType::I32, ValType::I32} &&
          cb.func->params != std::vector<ValType>{ValType::I32})
        fail("canonical option `callback` uses a core function with an incorrect signature");
    }
    wasm::FuncType want = flatten(*t.func, true);
    if (callee.func && *callee.func != want) {
      if (want.params != callee.func->params)
        fail("lowered parameter types `" + debug_list(want.params) + "` do not match parameter types `" +
             debug_list(callee.func->params) + "` of core function " + idx(c_.func));
      fail("lowered result types `" + debug_list(want.results) + "` do not match result types `" +
           debug_list(callee.func->results) + "` of core function " + idx(c_.func));
    }
    s_.funcs.push_back(t.func);
  }

  void check_lower() {
    if (o_.post_return) fail("canonical option `post-return` cannot be specified for lowerings");
    if (o_.async && o_.callback) fail("canonical option `callback` cannot be specified for lowerings");
  }

  wasm::FuncType lower() {
    const auto& f = s_.func(c_.func, off_);
    options();
    check_lower();
    return flatten(*f, false);
  }

  wasm::FuncType task_return() {
    FuncType f;
    if (c_.result) {
      ValTypePtr t = c_.result->is_index ? s_.defined_type(c_.result->index, off_) : primitive(c_.result->prim);
      f.params.push_back({"v", t});
    }
    options();
    if (o_.realloc) fail("cannot specify `realloc` option on `task.return`");
    if (o_.post_return) fail("cannot specify `post-return` option on `task.return`");
    check_lower();
    if (o_.async) fail("cannot specify `async` option on `task.return`");
    return flatten(f, false);
  }

  void local_resource() {
    const auto& r = s_.resource(c_.type, off_);
    const bool* known = s_.defined_resources.find(r->id);
    if (!known || !*known) fail("type " + idx(c_.type) + " is not a local resource");
  }

  void async_type(TypeKind kind, const char* what) {
    ValTypePtr t = s_.defined_type(c_.type, off_);
    if (t->kind != kind) fail(std::string("`") + canon_name(c_.kind) + "` requires a " + what + " type");
  }

  Scope& s_;
  const Canon& c_;
  const CanonOpts& o_;
  size_t off_;
};

}  // namespace

void validate_canon(Scope& s, const Canon& c) { Canonical(s, c).run(); }

}  // namespace whirl::component::binary
