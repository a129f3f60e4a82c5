// `whirl run` for components: WASI 0.2's command world (`wasi:cli/run`),
// or one exported function called with WAVE arguments (--invoke).
#include <cstdio>

#include "cli/run_options.h"
#include "wasm/runtime/deadline.h"
#include "component/abi/wave.h"
#include "component/runtime/component.h"
#include "component/types.h"
#include "wasi/p2/wasi_p2.h"

namespace whirl::cli {

namespace {

namespace rt = component::runtime;

// The exported functions, for a message naming what there is.
std::string export_list(const rt::LoadedComponent& c) {
  std::string out;
  for (const auto& e : rt::component_type(c).exports) {
    if (!out.empty()) out += ", ";
    out += e.name;
    if (e.type.kind == component::ExternType::Kind::Instance && e.type.instance) {
      out += " (";
      bool first = true;
      for (const auto& f : e.type.instance->exports) {
        if (f.type.kind != component::ExternType::Kind::Func) continue;
        out += (first ? "" : ", ") + f.name;
        first = false;
      }
      out += ")";
    }
  }
  return out.empty() ? "none" : out;
}

int report(const rt::CallError& e) {
  if (e.exit_code) return *e.exit_code;
  if (e.trap) return report_trap(*e.trap);
  return run_fail(e.message);
}

}  // namespace

int run_component(const RunOptions& o, const platform::FileBytes& bytes) {
  auto c = rt::load_component(bytes.bytes, bytes.owner);
  if (!c) return run_fail(o.file + ": " + c.error().message);

  // What to call, checked before anything runs.
  std::string name = "wasi:cli/run@0.2.0#run";
  std::vector<std::string> arg_texts;
  if (!o.invoke.empty()) {
    if (o.invoke.find('(') == std::string::npos) {
      name = o.invoke;
      arg_texts = o.args;
    } else {
      auto call = component::abi::parse_wave_call(o.invoke);
      if (!call) return run_fail("--invoke: " + call.error().message);
      name = call->name;
      arg_texts = call->args;
    }
  }

  auto ctx = wasi::p2::create_wasi_p2(wasi_config(o));
  if (!ctx) return run_fail(ctx.error().message);
  rt::Linker linker;
  wasi::p2::add_to_linker(linker);

  auto owned_store = wasm::Store::create(store_config(o));
  wasm::Store& store = *owned_store;
  std::unique_ptr<rt::ComponentInstance> inst;  // outlives the deadline, which points at its store
  std::fflush(stdout);
  wasm::Deadline deadline(store, std::chrono::duration<double>(o.timeout));
  auto made = rt::instantiate(*c, std::move(owned_store), linker, std::any(*ctx));
  if (!made) {
    if (made.error().trap) return report_trap(*made.error().trap);
    return run_fail(o.file + ": " + made.error().message);
  }
  inst = std::move(*made);

  auto f = inst->find_func(name);
  if (!f) {
    if (o.invoke.empty())
      return run_fail(o.file + ": the component exports no `wasi:cli/run` (exports: " + export_list(**c) +
                      "); use --invoke to call one of them");
    return run_fail(o.file + ": no exported function `" + name + "` (exports: " + export_list(**c) + ")");
  }
  if (arg_texts.size() != f.type->params.size())
    return run_fail("`" + name + "` takes " + std::to_string(f.type->params.size()) + " argument(s), got " +
                    std::to_string(arg_texts.size()));
  std::vector<component::abi::Value> args;
  for (size_t i = 0; i < arg_texts.size(); ++i) {
    const auto& p = f.type->params[i];
    auto v = component::abi::parse_wave(arg_texts[i], *p.type);
    if (!v)
      return run_fail("argument `" + p.label + "` (" + arg_texts[i] + ") is not a " + component::to_string(*p.type) +
                      ": " + v.error().message);
    args.push_back(std::move(*v));
  }

  auto r = inst->call(f, std::move(args));
  std::fflush(stdout);
  if (!r) return report(r.error());
  if (o.invoke.empty()) {
    // run: func() -> result: an `err` is a failed program, exit status 1.
    if (!r->empty() && (*r)[0].kind == component::TypeKind::Result && (*r)[0].is_err) return 1;
    return 0;
  }
  for (const auto& v : *r) std::printf("%s\n", component::abi::to_string(v).c_str());
  return 0;
}

}  // namespace whirl::cli
