// One MySQL/MariaDB connection over libmariadb (its non-blocking calls, so
// a request's deadline — the store's interrupt — stops it), and the
// address format mysql_async reads (the URL form Spin passes it).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "component/abi/value.h"

struct st_mysql;

namespace whirl::wasm {
class Store;
}

namespace whirl::spin::mysql {

using component::abi::Value;

// The rdbms-types error cases; Interrupted: the store was interrupted
// (the call traps; the connection is closed).
struct MyError {
  enum class Kind { ConnectionFailed, BadParameter, QueryFailed, ValueConversionFailed, Other, Interrupted };
  Kind kind = Kind::Other;
  std::string text;
};

struct MyAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string user, password, db;
  bool tls = false;  // ssl-mode / sslMode other than DISABLED
};
// mysql_async's URL rules: scheme `mysql`, a host, its known parameters
// (others are an error); `ssl-mode`/`sslmode` (any case) asks for TLS
// unless DISABLED, as Spin's build_opts does.
Expected<MyAddress> parse_mysql_address(std::string_view url);

struct MyRowSet {
  std::vector<std::pair<std::string, std::string>> columns;  // name, db-data-type case
  std::vector<std::vector<Value>> rows;                      // db-value
};

class MyConnection {
 public:
  ~MyConnection();
  static Expected<std::unique_ptr<MyConnection>, MyError> connect(const MyAddress& a, wasm::Store& store);
  // `params` are rdbms-types parameter-values.
  Expected<void, MyError> execute(const std::string& statement, const std::vector<Value>& params, wasm::Store& store);
  Expected<MyRowSet, MyError> query(const std::string& statement, const std::vector<Value>& params,
                                    wasm::Store& store);

 private:
  MyConnection(st_mysql* m, MyAddress a) : mysql_(m), address_(std::move(a)) {}
  // Stops the statement the server is running for this connection (KILL
  // QUERY over a connection of its own), as libpq's cancel does.
  void cancel();
  // What a statement's failure `e` leaves: an interrupted one breaks the
  // connection (the server's statement killed, the socket shut).
  MyError failed(MyError e);
  st_mysql* mysql_;
  MyAddress address_;
  bool broken_ = false;  // interrupted mid-exchange: nothing more is sent
};

}  // namespace whirl::spin::mysql
