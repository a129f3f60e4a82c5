#include "wasm/script/spectest.h"

namespace whirl::wasm::script {

std::map<std::string, ExternVal> make_spectest(Store& store) {
  std::map<std::string, ExternVal> exports;
  // The print functions have no observable effect a script can check, so
  // they print nothing: runner output stays readable.
  auto print = [&](const char* name, std::vector<ValType> params) {
    HostFunc fn = [](Caller&, std::span<const Value>, std::span<Value>) -> std::optional<Trap> {
      return std::nullopt;
    };
    exports[name] = ExternVal::func(store.create_host_func(FuncType{std::move(params), {}}, fn, name));
  };
  print("print", {});
  print("print_i32", {ValType::I32});
  print("print_i64", {ValType::I64});
  print("print_f32", {ValType::F32});
  print("print_f64", {ValType::F64});
  print("print_i32_f32", {ValType::I32, ValType::F32});
  print("print_f64_f64", {ValType::F64, ValType::F64});

  exports["global_i32"] = ExternVal::global(store.create_global({ValType::I32, false}, Value::i32(666)));
  exports["global_i64"] = ExternVal::global(store.create_global({ValType::I64, false}, Value::i64(666)));
  exports["global_f32"] = ExternVal::global(store.create_global({ValType::F32, false}, Value::f32(666.6f)));
  exports["global_f64"] = ExternVal::global(store.create_global({ValType::F64, false}, Value::f64(666.6)));

  if (auto table = store.create_table(TableType{ValType::FuncRef, Limits{10, 20}}, Value::null(ValType::FuncRef)))
    exports["table"] = ExternVal::table(*table);
  if (auto mem = store.create_memory(MemoryType{Limits{1, 2}})) exports["memory"] = ExternVal::memory(*mem);
  return exports;
}

}  // namespace whirl::wasm::script
