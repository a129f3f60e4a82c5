#include "spin/mysql/my_client.h"

#include <mysql.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstring>
#include <mutex>

#include "wasm/runtime/runtime.h"

namespace whirl::spin::mysql {
namespace {

using component::TypeKind;
constexpr size_t kMaxResultBytes = size_t(128) << 20;  // Spin's MAX_HOST_BUFFERED_BYTES

MyError interrupted() { return MyError{MyError::Kind::Interrupted, "interrupted"}; }

// Runs one of libmariadb's non-blocking calls to its end: `start()` and
// `cont(ready)` return what it waits for (0: done); the socket is polled
// in slices so an interrupted store stops the wait.
template <class Start, class Cont>
Expected<void, MyError> drive(MYSQL* m, wasm::Store& store, Start start, Cont cont) {
  int status = start();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (status) {
    if (store.interrupted()) return unexpected(interrupted());
    if ((status & MYSQL_WAIT_TIMEOUT) && !deadline)
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(mysql_get_timeout_value_ms(m));
    short events = short((status & MYSQL_WAIT_READ ? POLLIN : 0) | (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
                         (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
    pollfd p{mysql_get_socket(m), events, 0};
    int ready = 0;
    if (::poll(&p, 1, 100) > 0) {
      if (p.revents & (POLLIN | POLLERR | POLLHUP)) ready |= status & MYSQL_WAIT_READ;
      if (p.revents & (POLLOUT | POLLERR | POLLHUP)) ready |= status & MYSQL_WAIT_WRITE;
      if (p.revents & POLLPRI) ready |= MYSQL_WAIT_EXCEPT;
    }
    if (deadline && std::chrono::steady_clock::now() >= *deadline) ready |= MYSQL_WAIT_TIMEOUT;
    if (!ready) continue;
    deadline.reset();
    status = cont(ready);
  }
  return {};
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit((unsigned char)s[i + 1]) &&
        std::isxdigit((unsigned char)s[i + 2])) {
      out.push_back(char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower((unsigned char)c));
  return s;
}

// mysql_async's URL parameters (read, not all of them used here).
bool known_parameter(const std::string& k) {
  static const char* kKnown[] = {"abs_conn_ttl", "abs_conn_ttl_jitter", "built_in_roots", "client_found_rows",
                                 "compression", "conn_ttl", "deprecate_eof", "enable_cleartext_plugin",
                                 "inactive_connection_ttl", "max_allowed_packet", "pool_max", "pool_min",
                                 "prefer_socket", "require_ssl", "reset_connection", "secure_auth",
                                 "server_key_path", "socket", "stmt_cache_size", "tcp_keepalive", "tcp_nodelay",
                                 "ttl_check_interval", "verify_ca", "verify_identity", "wait_timeout"};
  return std::any_of(std::begin(kKnown), std::end(kKnown), [&](const char* x) { return k == x; });
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = (unsigned char)s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = (unsigned char)s[i + k];
      if ((d >> 6) != 2) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

// mysql_async's Debug form of a server error (Spin puts `{e:?}` in query-failed).
std::string server_error(unsigned code, const char* message, const char* state) {
  std::string m;
  for (const char* p = message; *p; ++p) {
    if (*p == '"' || *p == '\\') m.push_back('\\');
    m.push_back(*p);
  }
  if (code >= 2000) return m;  // a client (connection) error, not the server's
  return "Server(ServerError { code: " + std::to_string(code) + ", message: \"" + m + "\", state: \"" + state +
         "\" })";
}

MyError stmt_error(MYSQL_STMT* st) {
  return MyError{MyError::Kind::QueryFailed, server_error(mysql_stmt_errno(st), mysql_stmt_error(st), mysql_stmt_sqlstate(st))};
}

// Spin's convert_data_type (mysql_common's numeric and character types).
std::string data_type(const MYSQL_FIELD& f) {
  bool is_unsigned = f.flags & UNSIGNED_FLAG, binary = f.flags & BINARY_FLAG;
  switch (f.type) {
    case MYSQL_TYPE_DOUBLE: return "floating64";
    case MYSQL_TYPE_FLOAT: return "floating32";
    case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONG: return is_unsigned ? "uint32" : "int32";
    case MYSQL_TYPE_LONGLONG: return is_unsigned ? "uint64" : "int64";
    case MYSQL_TYPE_SHORT: return is_unsigned ? "uint16" : "int16";
    case MYSQL_TYPE_TINY: return is_unsigned ? "uint8" : "int8";
    case MYSQL_TYPE_BLOB: case MYSQL_TYPE_STRING: case MYSQL_TYPE_VAR_STRING: return binary ? "binary" : "str";
    default: return "other";
  }
}

bool integer_type(enum_field_types t) {
  return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONG ||
         t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR;
}
bool temporal_type(enum_field_types t) {
  return t == MYSQL_TYPE_DATE || t == MYSQL_TYPE_DATETIME || t == MYSQL_TYPE_TIMESTAMP || t == MYSQL_TYPE_TIME ||
         t == MYSQL_TYPE_NEWDATE;
}

// Where one result column is fetched to.
struct Cell {
  long long i = 0;
  float f = 0;
  double d = 0;
  MYSQL_TIME t{};
  std::string bytes;
  unsigned long length = 0;
  my_bool null = 0, error = 0;
};

// mysql_async's Debug form of a value (for the conversion error's text).
std::string value_repr(const MYSQL_FIELD& f, const Cell& c) {
  if (integer_type(f.type)) return (f.flags & UNSIGNED_FLAG ? "UInt(" : "Int(") + std::to_string(c.i) + ")";
  if (temporal_type(f.type)) {
    const MYSQL_TIME& t = c.t;
    if (f.type == MYSQL_TYPE_TIME)
      return "Time(" + std::string(t.neg ? "true" : "false") + ", " + std::to_string(t.day) + ", " +
             std::to_string(t.hour) + ", " + std::to_string(t.minute) + ", " + std::to_string(t.second) + ", " +
             std::to_string(t.second_part) + ")";
    return "Date(" + std::to_string(t.year) + ", " + std::to_string(t.month) + ", " + std::to_string(t.day) + ", " +
           std::to_string(t.hour) + ", " + std::to_string(t.minute) + ", " + std::to_string(t.second) + ", " +
           std::to_string(t.second_part) + ")";
  }
  return "Bytes(\"" + c.bytes.substr(0, c.length) + "\")";
}

Expected<Value, MyError> convert(const MYSQL_FIELD& f, const std::string& type, const Cell& c) {
  if (c.null) return Value::variant("db-null");
  auto fail = [&](std::string text) { return unexpected(MyError{MyError::Kind::ValueConversionFailed, std::move(text)}); };
  if (type == "other")
    return fail("Cannot convert value " + value_repr(f, c) + " in column " + f.name + " data type Other");
  if (type == "floating64") return Value::variant(type, Value::float64(c.d));
  if (type == "floating32") return Value::variant(type, Value::float32(c.f));
  if (type == "str") {
    std::string s = c.bytes.substr(0, c.length);
    if (!valid_utf8(s)) return fail("Couldn't convert the value `" + value_repr(f, c) + "` to a desired type");
    return Value::variant(type, Value::string(std::move(s)));
  }
  if (type == "binary") return Value::variant(type, Value::byte_list(c.bytes.substr(0, c.length)));
  static const std::pair<const char*, TypeKind> kInts[] = {
      {"int8", TypeKind::S8},   {"int16", TypeKind::S16},  {"int32", TypeKind::S32},  {"int64", TypeKind::S64},
      {"uint8", TypeKind::U8},  {"uint16", TypeKind::U16}, {"uint32", TypeKind::U32}, {"uint64", TypeKind::U64}};
  for (const auto& [label, kind] : kInts)
    if (type == label)
      return Value::variant(type, type[0] == 'u' ? Value::uint(kind, (unsigned long long)c.i) : Value::sint(kind, c.i));
  return fail("unexpected column type");
}

struct Stmt {
  MYSQL_STMT* st;
  ~Stmt() {
    if (st) mysql_stmt_close(st);  // COM_STMT_CLOSE has no reply
  }
};

// Prepares, binds and executes; the statement with its results pending.
Expected<void, MyError> run(MYSQL* m, Stmt& s, const std::string& statement, const std::vector<Value>& params,
                            wasm::Store& store) {
  s.st = mysql_stmt_init(m);
  if (!s.st) return unexpected(MyError{MyError::Kind::QueryFailed, mysql_error(m)});
  int rc = 0;
  auto prepared = drive(
      m, store, [&] { return mysql_stmt_prepare_start(&rc, s.st, statement.data(), statement.size()); },
      [&](int ready) { return mysql_stmt_prepare_cont(&rc, s.st, ready); });
  if (!prepared) return prepared;
  if (rc) return unexpected(stmt_error(s.st));
  unsigned long required = mysql_stmt_param_count(s.st);
  if (required != params.size())
    return unexpected(MyError{MyError::Kind::QueryFailed, "Driver(StmtParamsMismatch { required: " +
                                                              std::to_string(required) + ", supplied: " +
                                                              std::to_string(params.size()) + " })"});
  // mysql_async's values: integers as LONGLONG, floats, strings and
  // bytes as VAR_STRING, booleans as 0/1.
  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<long long> ints(params.size());
  std::vector<float> floats(params.size());
  std::vector<double> doubles(params.size());
  std::vector<std::string> bytes(params.size());
  std::vector<unsigned long> lengths(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& p = params[i];
    const Value* v = p.payload();
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    const std::string& l = p.label;
    if (l == "db-null" || !v) {
      b.buffer_type = MYSQL_TYPE_NULL;
    } else if (l == "boolean" || l.rfind("int", 0) == 0 || l.rfind("uint", 0) == 0) {
      ints[i] = l == "boolean" ? (v->b ? 1 : 0) : l[0] == 'u' ? (long long)v->u : (long long)v->s;
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &ints[i];
      b.is_unsigned = l[0] == 'u';
    } else if (l == "floating32") {
      floats[i] = v->f32;
      b.buffer_type = MYSQL_TYPE_FLOAT;
      b.buffer = &floats[i];
    } else if (l == "floating64") {
      doubles[i] = v->f64;
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &doubles[i];
    } else {
      bytes[i] = l == "str" ? v->str : v->list_bytes();
      lengths[i] = bytes[i].size();
      b.buffer_type = MYSQL_TYPE_VAR_STRING;
      b.buffer = bytes[i].data();
      b.buffer_length = bytes[i].size();
      b.length = &lengths[i];
    }
  }
  if (!params.empty() && mysql_stmt_bind_param(s.st, binds.data())) return unexpected(stmt_error(s.st));
  auto executed = drive(
      m, store, [&] { return mysql_stmt_execute_start(&rc, s.st); },
      [&](int ready) { return mysql_stmt_execute_cont(&rc, s.st, ready); });
  if (!executed) return executed;
  if (rc) return unexpected(stmt_error(s.st));
  return {};
}

// The whole result set read (mysql_stmt_store_result); non-zero: failed.
Expected<int, MyError> store_result(MYSQL* m, MYSQL_STMT* st, wasm::Store& store) {
  int rc = 0;
  auto ok = drive(
      m, store, [&] { return mysql_stmt_store_result_start(&rc, st); },
      [&](int ready) { return mysql_stmt_store_result_cont(&rc, st, ready); });
  if (!ok) return unexpected(ok.error());
  return rc;
}

// The next result of a multi-result statement: 0 there is one, -1 none.
Expected<int, MyError> next_result(MYSQL* m, MYSQL_STMT* st, wasm::Store& store) {
  int rc = 0;
  auto ok = drive(
      m, store, [&] { return mysql_stmt_next_result_start(&rc, st); },
      [&](int ready) { return mysql_stmt_next_result_cont(&rc, st, ready); });
  if (!ok) return unexpected(ok.error());
  return rc;
}

}  // namespace

Expected<MyAddress> parse_mysql_address(std::string_view url) {
  auto bad = [&](std::string why) { return make_error("UrlError { " + why + " }"); };
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("Parse(RelativeUrlWithoutBase)");
  std::string scheme = lower(std::string(url.substr(0, sep)));
  if (scheme != "mysql") return bad("UnsupportedScheme { scheme: \"" + scheme + "\" }");
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  rest.remove_prefix(authority.size());
  MyAddress a;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    auto colon = info.find(':');
    a.user = percent_decode(info.substr(0, colon), false);
    if (colon != std::string_view::npos) a.password = percent_decode(info.substr(colon + 1), false);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("Parse(InvalidIpv6Address)");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("Parse(InvalidPort)");
      port = authority.substr(close + 2);
    }
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c), port = authority.substr(c + 1);
  }
  if (host.empty()) return bad("Invalid");
  a.host = std::string(host);
  if (!port.empty()) {
    unsigned long p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || (p = p * 10 + unsigned(c - '0')) > 65535) return bad("Parse(InvalidPort)");
    }
    a.port = uint16_t(p);
  }
  std::string_view path = rest.substr(0, rest.find_first_of("?#"));
  rest.remove_prefix(path.size());
  if (!path.empty()) {
    path.remove_prefix(1);
    a.db = percent_decode(path.substr(0, path.find('/')), false);
  }
  if (!rest.empty() && rest[0] == '?') {
    std::string_view query = rest.substr(1, rest.find('#') == std::string_view::npos ? std::string_view::npos
                                                                                      : rest.find('#') - 1);
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      std::string_view pair = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
      start = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      std::string k = percent_decode(pair.substr(0, eq), true);
      std::string v = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
      std::string lk = lower(k);
      if (lk == "ssl-mode" || lk == "sslmode") {
        a.tls = lower(v) != "disabled";
      } else if (!known_parameter(k)) {
        return bad("UnknownParameter { param: \"" + k + "\" }");
      }
    }
  }
  return a;
}

MyConnection::~MyConnection() {
  if (!mysql_) return;
  // An exchange cut short cannot end politely: the socket is closed first.
  if (broken_) ::shutdown(mysql_get_socket(mysql_), SHUT_RDWR);
  mysql_close(mysql_);
}

Expected<std::unique_ptr<MyConnection>, MyError> MyConnection::connect(const MyAddress& a, wasm::Store& store) {
  static std::once_flag init;
  std::call_once(init, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* m = mysql_init(nullptr);
  if (!m) return unexpected(MyError{MyError::Kind::ConnectionFailed, "out of memory"});
  std::unique_ptr<MyConnection> conn(new MyConnection(m, a));
  unsigned protocol = MYSQL_PROTOCOL_TCP;
  mysql_optionsv(m, MYSQL_OPT_NONBLOCK, 0);
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (a.tls) {
    my_bool on = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }
  MYSQL* ret = nullptr;
  auto ok = drive(
      m, store,
      [&] {
        return mysql_real_connect_start(&ret, m, a.host.c_str(), a.user.c_str(), a.password.c_str(),
                                        a.db.empty() ? nullptr : a.db.c_str(), a.port, nullptr, 0);
      },
      [&](int ready) { return mysql_real_connect_cont(&ret, m, ready); });
  if (!ok) {
    conn->broken_ = true;
    return unexpected(ok.error());
  }
  if (!ret) return unexpected(MyError{MyError::Kind::ConnectionFailed, mysql_error(m)});
  return conn;
}

void MyConnection::cancel() {
  MYSQL* k = mysql_init(nullptr);
  if (!k) return;
  unsigned protocol = MYSQL_PROTOCOL_TCP, timeout = 5;
  mysql_optionsv(k, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(k, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_optionsv(k, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_optionsv(k, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  if (address_.tls) {
    my_bool on = 1;
    mysql_optionsv(k, MYSQL_OPT_SSL_ENFORCE, &on);
  }
  if (mysql_real_connect(k, address_.host.c_str(), address_.user.c_str(), address_.password.c_str(), nullptr,
                         address_.port, nullptr, 0)) {
    std::string kill = "KILL QUERY " + std::to_string(mysql_thread_id(mysql_));
    mysql_query(k, kill.c_str());
  }
  mysql_close(k);
}

MyError MyConnection::failed(MyError e) {
  if (e.kind == MyError::Kind::Interrupted && !broken_) {
    broken_ = true;
    cancel();
    // Nothing more is read or written here (the statement's close too).
    ::shutdown(mysql_get_socket(mysql_), SHUT_RDWR);
  }
  return e;
}

Expected<void, MyError> MyConnection::execute(const std::string& statement, const std::vector<Value>& params,
                                              wasm::Store& store) {
  if (broken_) return unexpected(MyError{MyError::Kind::QueryFailed, "the connection was interrupted"});
  Stmt s{nullptr};
  auto fail = [this](MyError e) { return unexpected(failed(std::move(e))); };
  if (auto ok = run(mysql_, s, statement, params, store); !ok) return fail(ok.error());
  // Results, if any, are read and dropped.
  while (true) {
    if (mysql_stmt_field_count(s.st) > 0) {
      auto rc = store_result(mysql_, s.st, store);
      if (!rc) return fail(rc.error());
      if (*rc) return fail(stmt_error(s.st));
    }
    mysql_stmt_free_result(s.st);
    auto next = next_result(mysql_, s.st, store);
    if (!next) return fail(next.error());
    if (*next != 0) break;
  }
  return {};
}

Expected<MyRowSet, MyError> MyConnection::query(const std::string& statement, const std::vector<Value>& params,
                                                wasm::Store& store) {
  if (broken_) return unexpected(MyError{MyError::Kind::QueryFailed, "the connection was interrupted"});
  Stmt s{nullptr};
  auto fail = [this](MyError e) { return unexpected(failed(std::move(e))); };
  if (auto ok = run(mysql_, s, statement, params, store); !ok) return fail(ok.error());
  MyRowSet out;
  MYSQL_RES* meta = mysql_stmt_result_metadata(s.st);
  if (!meta) return out;  // a statement without a result set
  struct FreeMeta {
    MYSQL_RES* r;
    ~FreeMeta() { mysql_free_result(r); }
  } free_meta{meta};
  my_bool update_max = 1;
  mysql_stmt_attr_set(s.st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
  auto stored = store_result(mysql_, s.st, store);
  if (!stored) return fail(stored.error());
  if (*stored) return unexpected(MyError{MyError::Kind::Other, mysql_stmt_error(s.st)});
  unsigned n = mysql_num_fields(meta);
  MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  std::vector<Cell> cells(n);
  std::vector<MYSQL_BIND> binds(n);
  std::vector<std::string> types;
  for (unsigned i = 0; i < n; ++i) {
    const MYSQL_FIELD& f = fields[i];
    types.push_back(data_type(f));
    out.columns.emplace_back(f.name, types.back());
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    Cell& c = cells[i];
    b.is_null = &c.null;
    b.error = &c.error;
    b.length = &c.length;
    if (integer_type(f.type)) {
      b.buffer_type = MYSQL_TYPE_LONGLONG, b.buffer = &c.i, b.is_unsigned = (f.flags & UNSIGNED_FLAG) != 0;
    } else if (f.type == MYSQL_TYPE_FLOAT) {
      b.buffer_type = MYSQL_TYPE_FLOAT, b.buffer = &c.f;
    } else if (f.type == MYSQL_TYPE_DOUBLE) {
      b.buffer_type = MYSQL_TYPE_DOUBLE, b.buffer = &c.d;
    } else if (temporal_type(f.type)) {
      b.buffer_type = f.type == MYSQL_TYPE_TIME ? MYSQL_TYPE_TIME : MYSQL_TYPE_DATETIME, b.buffer = &c.t;
    } else {
      c.bytes.resize(std::max<unsigned long>(f.max_length, 1));
      b.buffer_type = MYSQL_TYPE_BLOB, b.buffer = c.bytes.data(), b.buffer_length = c.bytes.size();
    }
  }
  if (mysql_stmt_bind_result(s.st, binds.data())) return unexpected(MyError{MyError::Kind::Other, mysql_stmt_error(s.st)});
  size_t total = 0;
  while (true) {
    int rc = mysql_stmt_fetch(s.st);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) return unexpected(MyError{MyError::Kind::Other, mysql_stmt_error(s.st)});
    std::vector<Value> row;
    for (unsigned i = 0; i < n; ++i) {
      Cell& c = cells[i];
      if (!c.null && c.length > c.bytes.size() && binds[i].buffer_type == MYSQL_TYPE_BLOB) {
        // Longer than the longest seen (cannot happen after store_result); fetch it whole.
        c.bytes.resize(c.length);
        binds[i].buffer = c.bytes.data(), binds[i].buffer_length = c.length;
        mysql_stmt_fetch_column(s.st, &binds[i], i, 0);
      }
      total += sizeof(Value) + (binds[i].buffer_type == MYSQL_TYPE_BLOB ? c.length : 0);
      if (total > kMaxResultBytes)
        return unexpected(MyError{MyError::Kind::Other,
                                  "query result exceeds limit of " + std::to_string(kMaxResultBytes) + " bytes"});
      auto v = convert(fields[i], types[i], c);
      if (!v) return unexpected(v.error());
      row.push_back(std::move(*v));
    }
    out.rows.push_back(std::move(row));
  }
  // Later result sets (a procedure's) are read and dropped, as mysql_async does.
  mysql_stmt_free_result(s.st);
  while (true) {
    auto next = next_result(mysql_, s.st, store);
    if (!next) return fail(next.error());
    if (*next != 0) break;
    if (mysql_stmt_field_count(s.st) > 0) {
      auto rc = store_result(mysql_, s.st, store);
      if (!rc) return fail(rc.error());
    }
    mysql_stmt_free_result(s.st);
  }
  return out;
}

}  // namespace whirl::spin::mysql
