#include "wasm/script/runner.h"

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "component/binary/decoder.h"
#include "component/binary/validator.h"
#include "platform/file.h"
#include "wasm/binary/decoder.h"
#include "wasm/script/component_run.h"
#include "wasm/script/spectest.h"
#include "wasm/script/values.h"
#include "wasm/text/component_text.h"
#include "wasm/text/wast.h"
#include "wasm/text/wat.h"
#include "wasm/validate/validator.h"

namespace whirl::wasm::script {
namespace {

using text::WastAction;
using text::WastCommand;
using text::WastCommandKind;
using text::WastModule;
using text::WastValue;

constexpr std::string_view kUnsupportedMarker = "SIMD is not supported";

// Where loading a module stopped, so each assertion can check it failed in
// the phase the spec means (malformed = text/binary, invalid = validation).
enum class Phase { Parse, Decode, Validate, Compile, Ok };

struct Loaded {
  Phase phase = Phase::Ok;
  std::string error;
  std::shared_ptr<const CompiledModule> module;
};

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Parse: return "text parsing";
    case Phase::Decode: return "decoding";
    case Phase::Validate: return "validation";
    case Phase::Compile: return "compilation";
    case Phase::Ok: return "nothing";
  }
  return "?";
}

Loaded load(const WastModule& m) {
  Loaded out;
  std::vector<uint8_t> bytes;
  if (m.form == WastModule::Form::Binary) {
    bytes = m.binary;
  } else {
    auto b = text::wat_to_binary(m.text);
    if (!b) return {Phase::Parse, b.error().message, nullptr};
    bytes = std::move(*b);
  }
  auto decoded = decode_module(bytes);
  if (!decoded) return {Phase::Decode, decoded.error().message, nullptr};
  auto module = std::make_shared<const Module>(std::move(*decoded));
  if (auto v = validate_module(*module); !v) return {Phase::Validate, v.error().message, nullptr};
  auto compiled = compile_module(module);
  if (!compiled) return {Phase::Compile, compiled.error().message, nullptr};
  out.module = std::move(*compiled);
  return out;
}

// A component of assert_invalid / assert_malformed: text translated
// (component_to_binary), then decoded and validated, to tell the phase it
// fails in. `error` is empty on success. (Components to instantiate load
// through ComponentScript, compiled as well.)
struct LoadedComponent {
  Phase phase = Phase::Ok;
  std::string error;
};

LoadedComponent load_component(const WastModule& m) {
  std::vector<uint8_t> bytes;
  if (m.form == WastModule::Form::Binary) {
    bytes = m.binary;
  } else {
    // Text: the whole "(component ...)"; Quote: the joined definitions.
    auto b = text::component_to_binary(m.text);
    if (!b) return {Phase::Parse, b.error().message};
    bytes = std::move(*b);
  }
  auto decoded = component::decode_component(bytes);
  if (!decoded) return {Phase::Decode, decoded.error().message};
  auto valid = component::validate_component(*decoded);
  if (!valid) return {Phase::Validate, valid.error().message};
  return {};
}

std::string join(const std::vector<Value>& vs) {
  std::string s;
  for (const auto& v : vs) s += (s.empty() ? "" : " ") + describe(v);
  return s.empty() ? "()" : s;
}

std::string join(const std::vector<WastValue>& vs) {
  std::string s;
  for (const auto& v : vs) s += (s.empty() ? "" : " ") + describe(v);
  return s.empty() ? "()" : s;
}

bool has_v128(const std::vector<WastValue>& vs) {
  for (const auto& v : vs)
    if (v.kind == WastValue::Kind::V128) return true;
  return false;
}

// The reference interpreter's check: the actual message starts with the expected text.
bool message_matches(const std::string& got, const std::string& expected) {
  return got.compare(0, expected.size(), expected) == 0;
}

class Run {
 public:
  Run(std::string_view file, const RunnerOptions& options) : options_(options), components_(options.store) {
    result_.file = std::string(file);
    store_ = Store::create(options.store);
    registry_["spectest"] = make_spectest(*store_);
  }

  FileResult finish() { return std::move(result_); }

  // Returns false when the rest of the script cannot run (unsupported feature).
  bool command(const WastCommand& c) {
    line_ = c.line;
    switch (c.kind) {
      case WastCommandKind::Module: return module_command(c);
      case WastCommandKind::Register: register_command(c); return true;
      case WastCommandKind::Action: return action_command(c);
      case WastCommandKind::AssertReturn: return assert_return(c);
      case WastCommandKind::AssertTrap:
      case WastCommandKind::AssertExhaustion: return assert_trap(c);
      case WastCommandKind::AssertInvalid:
      case WastCommandKind::AssertMalformed: return assert_load_fails(c);
      case WastCommandKind::AssertUnlinkable:
      case WastCommandKind::AssertUninstantiable: return assert_instantiate_fails(c);
      case WastCommandKind::ComponentInstance: return component_instance_command(c);
      case WastCommandKind::AssertException: return assert_exception(c);
    }
    return true;
  }

  void unsupported(std::string why, size_t remaining) {
    result_.unsupported = std::move(why);
    result_.skipped += static_cast<uint32_t>(remaining);
  }

 private:
  void pass() { ++result_.passed; }
  void fail(const std::string& what) {
    ++result_.failed;
    result_.failures.push_back(result_.file + ":" + std::to_string(line_) + ": " + what);
  }

  bool is_unsupported(const std::string& error) {
    return error.find(kUnsupportedMarker) != std::string::npos;
  }

  struct Instantiated {
    Instance* instance = nullptr;
    std::optional<InstantiationError> error;
  };

  Instantiated instantiate(const std::shared_ptr<const CompiledModule>& compiled) {
    std::vector<ExternVal> imports;
    for (const auto& imp : compiled->module().imports) {
      auto found = resolve(imp.module, imp.name);
      if (!found) {
        return {nullptr, InstantiationError{InstantiationError::Kind::Link,
                                            "unknown import \"" + imp.module + "\" \"" + imp.name + "\"",
                                            std::nullopt}};
      }
      imports.push_back(*found);
    }
    auto inst = store_->instantiate(compiled, imports);
    if (!inst) return {nullptr, std::move(inst).error()};
    return {*inst, std::nullopt};
  }

  std::optional<ExternVal> resolve(const std::string& module, const std::string& name) {
    if (auto it = registry_.find(module); it != registry_.end()) {
      auto e = it->second.find(name);
      if (e != it->second.end()) return e->second;
      return std::nullopt;
    }
    if (auto it = registered_.find(module); it != registered_.end()) return it->second->find_export(name);
    return std::nullopt;
  }

  // Counts a command that needs an unsupported component feature as skipped
  // (not passed), noting the first reason.
  bool skip(const std::string& why) {
    ++result_.skipped;
    if (result_.unsupported.empty()) result_.unsupported = why;
    return true;
  }

  bool apply(const ComponentOutcome& o) {
    switch (o.kind) {
      case ComponentOutcome::Kind::Pass: pass(); break;
      case ComponentOutcome::Kind::Fail: fail(o.message); break;
      case ComponentOutcome::Kind::Skip: skip(o.message); break;
    }
    return true;
  }

  // A component instance was made (or failed to be): it is the current one.
  bool component_instantiated(const std::optional<std::string>& id, const ComponentOutcome& o) {
    current_ = nullptr;
    current_is_component_ = true;
    if (id) component_ids_.insert(*id);
    return apply(o);
  }

  // Whether an action targets a component instance (or passes component
  // values, which only a component takes).
  bool targets_component(const WastAction& a) const {
    if (a.component) return true;
    if (a.module_id) return component_ids_.count(*a.module_id) > 0;
    return current_is_component_;
  }

  bool component_command(const WastCommand& c) {
    if (c.module.definition) return apply(components_.component(c));
    return component_instantiated(c.module.id, components_.component(c));
  }

  bool component_instance_command(const WastCommand& c) {
    return component_instantiated(c.instance_id, components_.instance(c));
  }

  // assert_malformed / assert_invalid of a component: the phase must match
  // (malformed: text or binary; invalid: validation), and the message must
  // contain the expected text, except for errors of a nested core module,
  // which carry the core decoder's and validator's (reference interpreter's)
  // wording.
  bool component_load_fails(const WastCommand& c, bool malformed, const std::string& what) {
    auto loaded = load_component(c.module);
    if (loaded.phase == Phase::Ok) return fail(what + ": component loaded"), true;
    bool right_phase = malformed ? (loaded.phase == Phase::Parse || loaded.phase == Phase::Decode)
                                 : loaded.phase == Phase::Validate;
    if (!right_phase)
      return fail(what + ": component failed in " + phase_name(loaded.phase) + " instead: " + loaded.error), true;
    bool core = loaded.error.find(component::kCoreModuleError) != std::string::npos;
    if (!core && loaded.error.find(c.message) == std::string::npos)
      return fail(what + ": got \"" + loaded.error + "\""), true;
    pass();
    return true;
  }

  bool module_command(const WastCommand& c) {
    if (c.module.component) return component_command(c);
    current_is_component_ = false;
    auto loaded = load(c.module);
    if (!loaded.module) {
      if (is_unsupported(loaded.error)) return false;
      fail("module failed in " + std::string(phase_name(loaded.phase)) + ": " + loaded.error);
      current_ = nullptr;
      return true;
    }
    auto inst = instantiate(loaded.module);
    if (!inst.instance) {
      fail("module instantiation failed: " + inst.error->message);
      current_ = nullptr;
      return true;
    }
    current_ = inst.instance;
    if (c.module.id) named_[*c.module.id] = current_;
    pass();
    return true;
  }

  void register_command(const WastCommand& c) {
    bool component = c.register_module ? components_.knows(*c.register_module) : current_is_component_;
    if (component) {
      apply(components_.register_as(c.register_name, c.register_module));
      return;
    }
    Instance* inst = current_;
    if (c.register_module) {
      auto it = named_.find(*c.register_module);
      inst = it == named_.end() ? nullptr : it->second;
    }
    if (!inst) {
      fail("register \"" + c.register_name + "\": no such module instance");
      return;
    }
    registered_[c.register_name] = inst;
  }

  Instance* target(const WastAction& a) {
    if (!a.module_id) return current_;
    auto it = named_.find(*a.module_id);
    return it == named_.end() ? nullptr : it->second;
  }

  // Runs an action; the error string is set when the action could not run at all.
  struct Outcome {
    std::optional<std::vector<Value>> values;
    std::optional<Trap> trap;
    std::string error;
  };

  Outcome perform(const WastAction& a) {
    Outcome out;
    Instance* inst = target(a);
    if (!inst) {
      out.error = "no module instance" + (a.module_id ? " named " + *a.module_id : std::string());
      return out;
    }
    auto ext = inst->find_export(a.field);
    if (!ext) {
      out.error = "no export \"" + a.field + "\"";
      return out;
    }
    if (a.kind == WastAction::Kind::Get) {
      if (ext->kind != ExternKind::Global) {
        out.error = "export \"" + a.field + "\" is not a global";
        return out;
      }
      out.values = std::vector<Value>{ext->as_global()->get()};
      return out;
    }
    if (ext->kind != ExternKind::Func) {
      out.error = "export \"" + a.field + "\" is not a function";
      return out;
    }
    std::vector<Value> args;
    for (const auto& v : a.args) args.push_back(to_value(v));
    const FuncType& type = ext->as_func()->type();
    if (args.size() != type.params.size()) {
      out.error = "wrong number of arguments for \"" + a.field + "\"";
      return out;
    }
    auto r = store_->invoke(ext->as_func(), args);
    if (r) out.values = std::move(*r);
    else out.trap = std::move(r).error();
    return out;
  }

  static std::string action_text(const WastAction& a) {
    return (a.kind == WastAction::Kind::Get ? "get \"" : "invoke \"") + a.field + "\"";
  }

  bool action_command(const WastCommand& c) {
    if (targets_component(c.action)) return apply(components_.action(c));
    if (has_v128(c.action.args)) return false;
    auto o = perform(c.action);
    if (!o.error.empty()) fail(action_text(c.action) + ": " + o.error);
    else if (o.trap) fail(action_text(c.action) + ": unexpected trap: " + o.trap->message);
    else pass();
    return true;
  }

  bool assert_return(const WastCommand& c) {
    if (targets_component(c.action) || c.component_values) return apply(components_.assert_return(c));
    if (has_v128(c.action.args) || has_v128(c.expected)) return false;
    auto o = perform(c.action);
    std::string what = "assert_return " + action_text(c.action);
    if (!o.error.empty()) return fail(what + ": " + o.error), true;
    if (o.trap) return fail(what + ": expected " + join(c.expected) + ", got trap: " + o.trap->message), true;
    bool ok = o.values->size() == c.expected.size();
    for (size_t i = 0; ok && i < c.expected.size(); ++i) ok = matches(c.expected[i], (*o.values)[i]);
    if (ok) pass();
    else fail(what + ": expected " + join(c.expected) + ", got " + join(*o.values));
    return true;
  }

  bool assert_trap(const WastCommand& c) {
    const char* name = c.kind == WastCommandKind::AssertTrap ? "assert_trap" : "assert_exhaustion";
    if (c.has_module) return assert_instantiate_fails(c);
    if (targets_component(c.action)) return apply(components_.assert_trap(c));
    if (has_v128(c.action.args)) return false;
    auto o = perform(c.action);
    std::string what = std::string(name) + " " + action_text(c.action);
    if (!o.error.empty()) return fail(what + ": " + o.error), true;
    if (!o.trap) return fail(what + ": expected trap \"" + c.message + "\", got " + join(*o.values)), true;
    if (!message_matches(o.trap->message, c.message))
      return fail(what + ": expected trap \"" + c.message + "\", got trap \"" + o.trap->message + "\""), true;
    pass();
    return true;
  }

  // A core action a wasm exception escapes (an uncaught throw).
  bool assert_exception(const WastCommand& c) {
    if (has_v128(c.action.args)) return false;
    auto o = perform(c.action);
    std::string what = "assert_exception " + action_text(c.action);
    if (!o.error.empty()) return fail(what + ": " + o.error), true;
    if (!o.trap) return fail(what + ": expected an exception, got " + join(*o.values)), true;
    if (o.trap->code != TrapCode::UncaughtException)
      return fail(what + ": expected an exception, got trap \"" + o.trap->message + "\""), true;
    pass();
    return true;
  }

  bool assert_load_fails(const WastCommand& c) {
    bool malformed = c.kind == WastCommandKind::AssertMalformed;
    const char* name = malformed ? "assert_malformed" : "assert_invalid";
    if (c.module.component)
      return component_load_fails(c, malformed, std::string(name) + " (expected \"" + c.message + "\")");
    auto loaded = load(c.module);
    // Rejecting malformed input is right whatever the reason, SIMD included.
    if (!malformed && is_unsupported(loaded.error)) return false;
    std::string what = std::string(name) + " (expected \"" + c.message + "\")";
    if (loaded.module) return fail(what + ": module loaded"), true;
    bool right_phase = malformed ? (loaded.phase == Phase::Parse || loaded.phase == Phase::Decode)
                                 : loaded.phase == Phase::Validate;
    if (!right_phase)
      return fail(what + ": module failed in " + phase_name(loaded.phase) + " instead: " + loaded.error), true;
    pass();
    return true;
  }

  bool assert_instantiate_fails(const WastCommand& c) {
    bool link = c.kind == WastCommandKind::AssertUnlinkable;
    const char* name = link ? "assert_unlinkable" : (c.kind == WastCommandKind::AssertTrap ? "assert_trap" : "assert_uninstantiable");
    std::string what = std::string(name) + " (expected \"" + c.message + "\")";
    if (c.module.component) return apply(components_.assert_instantiate_fails(c, link));
    auto loaded = load(c.module);
    if (!loaded.module) {
      if (is_unsupported(loaded.error)) return false;
      return fail(what + ": module failed in " + phase_name(loaded.phase) + ": " + loaded.error), true;
    }
    auto inst = instantiate(loaded.module);
    if (inst.instance) return fail(what + ": module instantiated"), true;
    auto want = link ? InstantiationError::Kind::Link : InstantiationError::Kind::Trap;
    if (inst.error->kind != want)
      return fail(what + ": instantiation failed the wrong way: " + inst.error->message), true;
    if (!link && !message_matches(inst.error->message, c.message))
      return fail(what + ": got \"" + inst.error->message + "\""), true;
    pass();
    return true;
  }

  RunnerOptions options_;
  FileResult result_;
  std::unique_ptr<Store> store_;
  std::map<std::string, std::map<std::string, ExternVal>> registry_;  // host modules
  std::map<std::string, Instance*> registered_;
  std::map<std::string, Instance*> named_;
  Instance* current_ = nullptr;
  bool current_is_component_ = false;      // the last instance was a component's
  std::set<std::string> component_ids_;    // "$id"s of component instances
  ComponentScript components_;
  uint32_t line_ = 0;
};

}  // namespace

FileResult run_script(std::string_view file, std::string_view source, const RunnerOptions& options) {
  Run run(file, options);
  auto commands = text::parse_wast(source);
  if (!commands) {
    FileResult r = run.finish();
    r.failed = 1;
    r.failures.push_back(std::string(file) + ": " + commands.error().message);
    return r;
  }
  for (size_t i = 0; i < commands->size(); ++i) {
    if (!run.command((*commands)[i])) {
      run.unsupported("uses SIMD (v128), which is not supported yet", commands->size() - i);
      break;
    }
  }
  return run.finish();
}

FileResult run_script_file(const std::string& path, const RunnerOptions& options) {
  auto file = platform::read_file(path);
  if (!file) {
    FileResult r;
    r.file = path;
    r.failed = 1;
    r.failures.push_back(file.error().message);
    return r;
  }
  return run_script(path, std::string_view(reinterpret_cast<const char*>(file->bytes.data()), file->bytes.size()), options);
}

}  // namespace whirl::wasm::script
