#include "wasm/script/component_run.h"

#include <bit>

#include "component/binary/decoder.h"
#include "wasm/text/component_text.h"

namespace whirl::wasm::script {

namespace rt = component::runtime;
namespace abi = component::abi;
using text::WastCommand;
using text::WastValue;

namespace {

// Unsupported features name themselves this way (the runtime's words).
bool is_unsupported(const std::string& message) {
  return message.find("is not supported: it needs") != std::string::npos ||
         message.find("are not supported: they need") != std::string::npos;
}

// Component traps match as wasmtime's wast matches them: the message
// contains the expected text (wasmtime words one trap "unaligned pointer"
// in one place and "wasm trap: unaligned pointer" in another).
bool message_contains(const std::string& got, const std::string& expected) {
  return got.find(expected) != std::string::npos;
}

std::string join(const std::vector<abi::Value>& vs) {
  std::string s;
  for (const auto& v : vs) s += (s.empty() ? "" : " ") + abi::to_string(v);
  return s.empty() ? "()" : s;
}

// The expected values of an assert_return: the component reading, except
// that NaN patterns, which only core constants have, stand for any NaN.
std::vector<abi::Value> expected_values(const WastCommand& c) {
  bool nan_pattern = false;
  for (const auto& v : c.expected)
    nan_pattern |= v.kind == WastValue::Kind::NanCanonical || v.kind == WastValue::Kind::NanArithmetic;
  if (!nan_pattern || c.component_values) return c.component_expected;
  std::vector<abi::Value> out;
  for (const auto& v : c.expected) {
    bool f32 = v.type == ValType::F32;
    if (v.kind == WastValue::Kind::NanCanonical || v.kind == WastValue::Kind::NanArithmetic)
      out.push_back(f32 ? abi::Value::float32(std::bit_cast<float>(0x7fc00000u))
                        : abi::Value::float64(std::bit_cast<double>(0x7ff8000000000000ull)));
    else if (v.kind == WastValue::Kind::F32 || v.kind == WastValue::Kind::F64)
      out.push_back(f32 ? abi::Value::float32(std::bit_cast<float>(uint32_t(v.bits)))
                        : abi::Value::float64(std::bit_cast<double>(v.bits)));
  }
  return out;
}

std::string action_text(const text::WastAction& a) { return "invoke \"" + a.field + "\""; }

}  // namespace

ComponentScript::Loaded ComponentScript::load(const text::WastModule& m) {
  std::vector<uint8_t> bytes;
  if (m.form == text::WastModule::Form::Binary) {
    bytes = m.binary;
  } else {
    auto b = text::component_to_binary(m.text);
    if (!b) return {nullptr, "component failed in text parsing: " + b.error().message};
    bytes = std::move(*b);
  }
  auto loaded = rt::load_component(bytes);
  if (loaded) return {std::move(*loaded), {}};
  // Only to name the phase: did it decode?
  const char* phase = component::decode_component(bytes) ? "validation" : "decoding";
  return {nullptr, std::string("component failed in ") + phase + ": " + loaded.error().message};
}

ComponentScript::Instantiated ComponentScript::instantiate(const std::shared_ptr<const rt::LoadedComponent>& c) {
  auto inst = rt::instantiate(c, Store::create(config_), linker_, {}, registered_);
  if (!inst) return {nullptr, std::move(inst.error())};
  return {std::shared_ptr<rt::ComponentInstance>(std::move(*inst)), std::nullopt};
}

// The instance just made becomes the current one (and `id`'s).
ComponentOutcome ComponentScript::use(Instantiated i, const std::optional<std::string>& id) {
  current_ = i.instance;
  if (id) instances_[*id] = i.instance;
  if (i.instance) {
    unsupported_.clear();
    return ComponentOutcome::pass();
  }
  if (id) instances_.erase(*id);
  if (is_unsupported(i.error->message)) {
    unsupported_ = i.error->message;
    return ComponentOutcome::skip(unsupported_);
  }
  unsupported_.clear();
  if (i.error->message.starts_with("component failed in ")) return ComponentOutcome::failure(i.error->message);
  return ComponentOutcome::failure("component instantiation failed: " + i.error->message);
}

ComponentOutcome ComponentScript::component(const WastCommand& c) {
  Loaded l = load(c.module);
  if (!l.component) {
    // Later actions must not reach the instance before this one.
    if (!c.module.definition) return use({nullptr, rt::InstantiateError{l.error}}, c.module.id);
    return ComponentOutcome::failure(l.error);
  }
  if (c.module.definition) {
    // Loaded (compiled) once here; each (component instance ...) reuses it.
    if (c.module.id) definitions_[*c.module.id] = l.component;
    last_definition_ = l.component;
    return ComponentOutcome::pass();
  }
  return use(instantiate(l.component), c.module.id);
}

ComponentOutcome ComponentScript::instance(const WastCommand& c) {
  auto it = definitions_.find(c.definition_id);
  if (it == definitions_.end())
    return ComponentOutcome::failure("component instance " + c.instance_id + ": no component definition named " +
                                     c.definition_id);
  return use(instantiate(it->second), c.instance_id);
}

ComponentOutcome ComponentScript::register_as(const std::string& name, const std::optional<std::string>& id) {
  if (id) {
    if (auto it = instances_.find(*id); it != instances_.end()) {
      registered_.instances[name] = it->second;
      return ComponentOutcome::pass();
    }
    if (auto it = definitions_.find(*id); it != definitions_.end()) {
      registered_.components[name] = it->second;
      return ComponentOutcome::pass();
    }
    return ComponentOutcome::failure("register \"" + name + "\": no component instance or definition " + *id);
  }
  if (!current_) return ComponentOutcome::failure("register \"" + name + "\": no component instance");
  registered_.instances[name] = current_;
  return ComponentOutcome::pass();
}

ComponentScript::Called ComponentScript::call(const text::WastAction& a) {
  Called out;
  std::shared_ptr<rt::ComponentInstance> inst = current_;
  if (a.module_id) {
    auto it = instances_.find(*a.module_id);
    inst = it == instances_.end() ? nullptr : it->second;
  }
  if (!inst) {
    if (!unsupported_.empty()) out.not_run = ComponentOutcome::skip(unsupported_);
    else out.not_run = ComponentOutcome::failure("no component instance" + (a.module_id ? " named " + *a.module_id : ""));
    return out;
  }
  if (a.kind == text::WastAction::Kind::Get) {
    out.not_run = ComponentOutcome::failure("get \"" + a.field + "\": components export no globals");
    return out;
  }
  auto f = inst->find_func(a.field);
  if (!f) {
    out.not_run = ComponentOutcome::failure(action_text(a) + ": no exported function \"" + a.field + "\"");
    return out;
  }
  if (a.component_args.size() != a.args.size() && !a.component) {
    out.not_run = ComponentOutcome::failure(action_text(a) + ": core arguments (i32.const, ...) for a component");
    return out;
  }
  auto r = inst->call(f, a.component_args);
  if (r) out.results = std::move(*r);
  else if (is_unsupported(r.error().message)) out.not_run = ComponentOutcome::skip(r.error().message);
  else out.trap = std::move(r.error());
  return out;
}

ComponentOutcome ComponentScript::action(const WastCommand& c) {
  Called r = call(c.action);
  if (r.not_run) return *r.not_run;
  if (r.trap) return ComponentOutcome::failure(action_text(c.action) + ": unexpected trap: " + r.trap->message);
  return ComponentOutcome::pass();
}

ComponentOutcome ComponentScript::assert_return(const WastCommand& c) {
  std::string what = "assert_return " + action_text(c.action);
  Called r = call(c.action);
  if (r.not_run) return *r.not_run;
  auto expected = expected_values(c);
  if (r.trap) return ComponentOutcome::failure(what + ": expected " + join(expected) + ", got trap: " + r.trap->message);
  if (r.results != expected)
    return ComponentOutcome::failure(what + ": expected " + join(expected) + ", got " + join(r.results));
  return ComponentOutcome::pass();
}

ComponentOutcome ComponentScript::assert_trap(const WastCommand& c) {
  std::string what = "assert_trap " + action_text(c.action);
  Called r = call(c.action);
  if (r.not_run) return *r.not_run;
  if (!r.trap) return ComponentOutcome::failure(what + ": expected trap \"" + c.message + "\", got " + join(r.results));
  if (!message_contains(r.trap->message, c.message))
    return ComponentOutcome::failure(what + ": expected trap \"" + c.message + "\", got trap \"" + r.trap->message +
                                     "\"");
  return ComponentOutcome::pass();
}

ComponentOutcome ComponentScript::assert_instantiate_fails(const WastCommand& c, bool link) {
  std::string what = std::string(link ? "assert_unlinkable" : "assert_uninstantiable") + " (expected \"" +
                     c.message + "\")";
  Loaded l = load(c.module);
  if (!l.component) return ComponentOutcome::failure(what + ": " + l.error);
  Instantiated i = instantiate(l.component);
  if (i.instance) return ComponentOutcome::failure(what + ": component instantiated");
  if (is_unsupported(i.error->message)) return ComponentOutcome::skip(i.error->message);
  if (i.error->unlinkable != link)
    return ComponentOutcome::failure(what + ": instantiation failed the wrong way: " + i.error->message);
  if (!message_contains(i.error->message, c.message))
    return ComponentOutcome::failure(what + ": got \"" + i.error->message + "\"");
  return ComponentOutcome::pass();
}

}  // namespace whirl::wasm::script
