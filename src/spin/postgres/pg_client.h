// One PostgreSQL connection over libpq, driven without blocking so a
// request's deadline (the store's interrupt) stops it: statements go as
// tokio-postgres sends them — prepared unnamed, their parameter types
// inferred by the server, parameters and results in binary — and errors
// carry what Spin's error variants need.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "spin/postgres/pg_address.h"
#include "spin/postgres/pg_values.h"

struct pg_conn;
struct pg_result;

namespace whirl::wasm {
class Store;
}

namespace whirl::spin::postgres {

// spin:postgres@4's error cases; QueryFailed from the server carries its
// fields (`db`), else only `text`. Interrupted: the store was interrupted
// (not a guest-visible error: the call traps).
struct PgError {
  enum class Kind { ConnectionFailed, BadParameter, QueryFailed, ValueConversionFailed, Other, Interrupted };
  Kind kind = Kind::Other;
  std::string text;
  struct Db {
    std::string severity, code, message;
    std::optional<std::string> detail;
    std::vector<std::pair<std::string, std::string>> extras;
  };
  std::optional<Db> db;
};

struct PgRowSet {
  std::vector<std::pair<std::string, Value>> columns;  // name, db-data-type (v4)
  std::vector<std::vector<Value>> rows;                // db-value (v4)
};

class PgConnection {
 public:
  ~PgConnection();
  // `root_ca`: a PEM certificate the server's must chain to (connection-builder).
  static Expected<std::unique_ptr<PgConnection>, PgError> connect(const PgAddress& address,
                                                                   const std::string& root_ca, wasm::Store& store);
  // `params` are parameter-value cases (any interface version).
  Expected<uint64_t, PgError> execute(const std::string& statement, const std::vector<Value>& params,
                                      wasm::Store& store);
  Expected<PgRowSet, PgError> query(const std::string& statement, const std::vector<Value>& params,
                                    wasm::Store& store);

 private:
  explicit PgConnection(pg_conn* c) : conn_(c) {}
  struct Results;
  Expected<Results, PgError> run(const std::string& statement, const std::vector<Value>& params, wasm::Store& store);
  Expected<void, PgError> collect(std::vector<std::unique_ptr<::pg_result, void (*)(::pg_result*)>>& out,
                                  wasm::Store& store);
  const PgType* type(uint32_t oid, wasm::Store& store);

  pg_conn* conn_;
  std::unordered_map<uint32_t, std::unique_ptr<PgType>> types_;
  uint64_t lookups_ = 0;  // queries of pg_type made  // non-builtin types, as pg_type gave them
};

}  // namespace whirl::spin::postgres
