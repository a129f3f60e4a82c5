// `whirl run`: run a WASI command module (or one exported function).
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/tier_option.h"
#include "wasm/aot/artifact.h"
#include "cli/module_file.h"
#include "cli/run_options.h"
#include "wasm/runtime/deadline.h"
#include "component/binary/decoder.h"
#include "platform/file.h"
#include "wasi/p1/wasi.h"
#include "wasm/text/wat.h"

namespace whirl::cli {
namespace {

int fail(const std::string& what) { return run_fail(what); }

std::optional<wasm::Value> parse_arg(wasm::ValType t, const std::string& s) {
  try {
    size_t used = 0;
    wasm::Value v;
    switch (t) {
      case wasm::ValType::I32: v = wasm::Value::i32(uint32_t(std::stoll(s, &used, 0))); break;
      case wasm::ValType::I64: v = wasm::Value::i64(uint64_t(std::stoll(s, &used, 0))); break;
      case wasm::ValType::F32: v = wasm::Value::f32(std::stof(s, &used)); break;
      case wasm::ValType::F64: v = wasm::Value::f64(std::stod(s, &used)); break;
      default: return std::nullopt;
    }
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

void print_value(const wasm::Value& v) {
  switch (v.type) {
    case wasm::ValType::I32: std::printf("%d\n", int32_t(v.as_u32())); break;
    case wasm::ValType::I64: std::printf("%lld\n", (long long)int64_t(v.bits)); break;
    case wasm::ValType::F32: std::printf("%.9g\n", v.as_f32()); break;
    case wasm::ValType::F64: std::printf("%.17g\n", v.as_f64()); break;
    default: std::printf("%s\n", v.is_null() ? "null" : "ref"); break;
  }
}

int run(const RunOptions& o) {
  auto bytes = read_module_file(o.file);
  if (!bytes) return fail(bytes.error().message);
  if (component::is_component_binary(bytes->bytes)) return run_component(o, *bytes);
  // A .cwasm (whirl compile's): its module, with its code when it is valid
  // here (else the module is compiled again).
  std::span<const uint8_t> wasm_bytes = bytes->bytes;
  wasm::CompileOptions options;
  if (wasm::aot::is_artifact(bytes->bytes)) {
    auto a = wasm::aot::parse_artifact(bytes->bytes, /*check_env=*/false);
    if (!a) return fail(o.file + ": " + a.error().message);
    if (a->wasm.empty()) return fail(o.file + ": a cache entry (it holds no module), not a .cwasm of whirl compile");
    wasm_bytes = a->wasm;
    options.artifact = bytes->bytes;
  }
  auto compiled = wasm::load_module(wasm_bytes, bytes->owner, options);
  if (!compiled) return fail(o.file + ": " + compiled.error().message);

  auto ctx = wasi::create_wasi(wasi_config(o));
  if (!ctx) return fail(ctx.error().message);
  auto store = wasm::Store::create(store_config(o));
  auto wasi_funcs = wasi::wasi_imports(*ctx, *store);
  std::vector<wasm::ExternVal> imports;
  for (const auto& imp : (*compiled)->module().imports) {
    auto it = imp.module == "wasi_snapshot_preview1" ? wasi_funcs.find(imp.name) : wasi_funcs.end();
    if (it == wasi_funcs.end())
      return fail(o.file + ": unknown import \"" + imp.module + "\" \"" + imp.name + "\"");
    imports.push_back(it->second);
  }
  // From here on the program runs: the start function, then the entry.
  std::fflush(stdout);
  wasm::Deadline deadline(*store, std::chrono::duration<double>(o.timeout));
  auto inst = store->instantiate(*compiled, imports);
  if (!inst) {
    if (inst.error().trap) return report_trap(*inst.error().trap);
    return fail(o.file + ": " + inst.error().message);
  }
  std::string entry = o.invoke.empty() ? "_start" : o.invoke;
  auto ext = (*inst)->find_export(entry);
  if (!ext || ext->kind != wasm::ExternKind::Func) {
    if (o.invoke.empty() && (*compiled)->module().start) return 0;  // a start function was the program
    return fail(o.file + ": no exported function \"" + entry + "\"");
  }
  std::vector<wasm::Value> args;
  const auto& params = ext->as_func()->type().params;
  if (!o.invoke.empty()) {
    if (o.args.size() != params.size())
      return fail("\"" + entry + "\" takes " + std::to_string(params.size()) + " argument(s), got " +
                  std::to_string(o.args.size()));
    for (size_t i = 0; i < params.size(); ++i) {
      auto v = parse_arg(params[i], o.args[i]);
      if (!v) return fail("argument " + std::to_string(i + 1) + " (\"" + o.args[i] + "\") is not a valid " +
                          wasm::to_string(params[i]));
      args.push_back(*v);
    }
  } else if (!params.empty()) {
    return fail(o.file + ": \"_start\" must take no arguments");
  }
  auto r = store->invoke(ext->as_func(), args);
  std::fflush(stdout);
  if (!r) return report_trap(r.error());
  for (const auto& v : *r) print_value(v);
  return 0;
}

}  // namespace

int run_fail(const std::string& what) {
  std::fprintf(stderr, "whirl run: %s\n", what.c_str());
  return 1;
}

int report_trap(const wasm::Trap& t) {
  if (t.code == wasm::TrapCode::Exit) return t.exit_code;
  std::fprintf(stderr, "whirl run: wasm trap: %s\nwasm backtrace:\n%s", t.message.c_str(),
               wasm::format_backtrace(t).c_str());
  return 134;
}

wasi::WasiConfig wasi_config(const RunOptions& o) {
  wasi::WasiConfig wc;
  wc.args.push_back(o.file);
  if (o.invoke.empty()) wc.args.insert(wc.args.end(), o.args.begin(), o.args.end());
  wc.env = o.env;
  for (const auto& d : o.dirs) {
    size_t sep = d.find("::");
    wc.preopens.push_back(sep == std::string::npos ? wasi::Preopen{d, d} : wasi::Preopen{d.substr(0, sep), d.substr(sep + 2)});
  }
  return wc;
}

wasm::StoreConfig store_config(const RunOptions& o) {
  wasm::StoreConfig sc;
  if (o.max_memory) sc.max_memory_bytes = o.max_memory;
  sc.huge_pages = true;  // one program per process: its speed over resident-size granularity
  return sc;
}

int split_run_args(int argc, char** argv, std::vector<std::string>* program_args) {
  // `whirl run [OPTIONS] FILE ARGS...`: everything after FILE is the guest's,
  // verbatim and in order, even when it looks like an option.
  if (argc < 2 || std::string(argv[1]) != "run") return argc;
  static const char* kWithValue[] = {"--dir", "--env", "--invoke", "--max-memory", "--timeout", "--tier"};
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return i + 1 < argc ? (program_args->assign(argv + i + 2, argv + argc), i + 2) : argc;
    if (a.size() > 1 && a[0] == '-') {
      for (const char* opt : kWithValue)
        if (a == opt) ++i;  // its value
      continue;
    }
    program_args->assign(argv + i + 1, argv + argc);
    return i + 1;  // keep FILE for CLI11
  }
  return argc;
}

void add_run_command(CLI::App& app, int* exit_code, std::vector<std::string> program_args) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a WebAssembly (WASI) program");
  cmd->add_option("--dir", o->dirs, "Preopen a host directory: HOST[::GUEST]")->allow_extra_args(false);
  cmd->add_option("--env", o->env, "Set an environment variable: KEY=VALUE")->allow_extra_args(false);
  cmd->add_option("--invoke", o->invoke, "Call this exported function with ARGS and print its results");
  cmd->add_option("--max-memory", o->max_memory, "Maximum bytes of linear memory and tables together (tables: 8 bytes per element)");
  cmd->add_option("--timeout", o->timeout, "Stop the program after this many seconds");
  add_tier_option(cmd, &o->tier);
  cmd->add_option("file", o->file, "The module (.wasm or .wat)")->required();
  cmd->footer("Everything after FILE is passed to the program unchanged.");
  cmd->callback([o, exit_code, program_args] {
    o->args = program_args;
    *exit_code = apply_tier(o->tier) ? run(*o) : 1;
  });
}

}  // namespace whirl::cli
