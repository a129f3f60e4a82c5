#include "spin/postgres/pg_client.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "wasm/runtime/runtime.h"

namespace whirl::spin::postgres {
namespace {

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;
constexpr int kSliceMs = 100;
constexpr size_t kMaxResultBytes = size_t(128) << 20;  // Spin's MAX_HOST_BUFFERED_BYTES
constexpr const char* kSystemRoots = "/etc/ssl/certs/ca-certificates.crt";  // OpenSSL's bundle on Debian

PgError err(PgError::Kind k, std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return PgError{k, std::move(text), std::nullopt};
}
PgError interrupted() { return err(PgError::Kind::Interrupted, "interrupted"); }

// Waits up to one slice for `events` on the connection's socket.
bool wait_socket(PGconn* c, short events) {
  pollfd p{PQsocket(c), events, 0};
  if (p.fd < 0) return true;
  return ::poll(&p, 1, kSliceMs) != 0;
}

// A server error's fields (tokio-postgres's DbError) and its text.
PgError query_failed(const PGresult* r, PGconn* c) {
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (!code) return err(PgError::Kind::QueryFailed, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  auto field = [r](int f) -> std::optional<std::string> {
    const char* v = PQresultErrorField(r, f);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  PgError::Db db;
  db.severity = field(PG_DIAG_SEVERITY).value_or("");
  db.code = code;
  db.message = field(PG_DIAG_MESSAGE_PRIMARY).value_or("");
  db.detail = field(PG_DIAG_MESSAGE_DETAIL);
  const std::pair<const char*, int> extras[] = {
      {"column", PG_DIAG_COLUMN_NAME},     {"constraint", PG_DIAG_CONSTRAINT_NAME}, {"routine", PG_DIAG_SOURCE_FUNCTION},
      {"hint", PG_DIAG_MESSAGE_HINT},      {"table", PG_DIAG_TABLE_NAME},           {"datatype", PG_DIAG_DATATYPE_NAME},
      {"schema", PG_DIAG_SCHEMA_NAME},     {"file", PG_DIAG_SOURCE_FILE},           {"line", PG_DIAG_SOURCE_LINE},
      {"where_", PG_DIAG_CONTEXT}};
  for (const auto& [name, f] : extras)
    if (auto v = field(f)) db.extras.emplace_back(name, *v);
  std::string text = "db error: " + db.severity + ": " + db.message;
  if (db.detail) text += "\nDETAIL: " + *db.detail;
  if (auto hint = field(PG_DIAG_MESSAGE_HINT)) text += "\nHINT: " + *hint;
  PgError e = err(PgError::Kind::QueryFailed, text);
  e.db = std::move(db);
  return e;
}

// The root certificate in a file libpq can read (sslrootcert); removed
// when the connection is made.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

struct PgConnection::Results {
  std::vector<ResultPtr> results;
};

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

Expected<std::unique_ptr<PgConnection>, PgError> PgConnection::connect(const PgAddress& a, const std::string& root_ca,
                                                                        wasm::Store& store) {
  if (a.hosts.empty() && a.hostaddrs.empty())
    return unexpected(err(PgError::Kind::ConnectionFailed, "invalid configuration: both host and hostaddr are missing"));
  auto join = [](const auto& v) {
    std::string s;
    for (const auto& x : v) {
      if (!s.empty()) s += ",";
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, uint16_t>) s += std::to_string(x);
      else s += x;
    }
    return s;
  };
  // Only what the address sets (tokio-postgres: no user means the OS user,
  // no database the user's); libpq reads no password file.
  std::vector<std::pair<std::string, std::string>> kv = {
      {"client_encoding", "UTF8"}, {"gssencmode", "disable"}, {"passfile", "/nonexistent/whirl/pgpass"}};
  if (a.user) kv.emplace_back("user", *a.user);
  if (a.dbname) kv.emplace_back("dbname", *a.dbname);
  if (!a.hosts.empty()) kv.emplace_back("host", join(a.hosts));
  if (!a.hostaddrs.empty()) kv.emplace_back("hostaddr", join(a.hostaddrs));
  kv.emplace_back("port", a.ports.empty() ? std::string("5432") : join(a.ports));
  if (a.password) kv.emplace_back("password", *a.password);
  if (a.options) kv.emplace_back("options", *a.options);
  if (a.application_name) kv.emplace_back("application_name", *a.application_name);
  std::optional<std::chrono::steady_clock::time_point> deadline;
  for (const auto& [k, v] : a.extra) {
    if (k == "connect_timeout") deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::stoll(v));
    else kv.emplace_back(k, v);
  }
  // Spin connects with native-tls unless sslmode=disable: TLS whenever the
  // server offers it (prefer) or always (require), its certificate checked
  // against the system's roots (and the builder's) and the host name. A
  // server without TLS is plain text under prefer.
  TempFile ca;
  std::string roots = kSystemRoots;
  if (!root_ca.empty()) {
    char path[] = "/tmp/whirl-pg-ca-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) return unexpected(err(PgError::Kind::Other, "cannot write the root certificate"));
    ca.path = roots = path;
    std::string text = root_ca + "\n";
    if (FILE* f = std::fopen(kSystemRoots, "rb")) {
      char buf[65536];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
      std::fclose(f);
    }
    bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    if (!ok) return unexpected(err(PgError::Kind::Other, "cannot write the root certificate"));
  }

  auto attempt = [&](bool tls) -> Expected<std::unique_ptr<PgConnection>, PgError> {
    auto params = kv;
    params.emplace_back("sslmode", tls ? "verify-full" : "disable");
    if (tls) params.emplace_back("sslrootcert", roots);
    std::vector<const char*> keys, vals;
    for (const auto& [k, v] : params) keys.push_back(k.c_str()), vals.push_back(v.c_str());
    keys.push_back(nullptr), vals.push_back(nullptr);
    PGconn* c = PQconnectStartParams(keys.data(), vals.data(), 0);
    if (!c) return unexpected(err(PgError::Kind::ConnectionFailed, "out of memory"));
    std::unique_ptr<PgConnection> conn(new PgConnection(c));
    if (PQstatus(c) == CONNECTION_BAD) return unexpected(err(PgError::Kind::ConnectionFailed, PQerrorMessage(c)));
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
      if (st == PGRES_POLLING_FAILED) return unexpected(err(PgError::Kind::ConnectionFailed, PQerrorMessage(c)));
      if (store.interrupted()) return unexpected(interrupted());
      if (deadline && std::chrono::steady_clock::now() > *deadline)
        return unexpected(err(PgError::Kind::ConnectionFailed, "timeout waiting for server"));
      if (wait_socket(c, st == PGRES_POLLING_READING ? POLLIN : POLLOUT)) st = PQconnectPoll(c);
    }
    if (PQsetnonblocking(c, 1) != 0) return unexpected(err(PgError::Kind::ConnectionFailed, PQerrorMessage(c)));
    return conn;
  };
  if (a.sslmode == "disable") return attempt(false);
  auto conn = attempt(true);
  if (!conn && a.sslmode == "prefer" && conn.error().text.find("does not support SSL") != std::string::npos)
    return attempt(false);
  return conn;
}

Expected<void, PgError> PgConnection::collect(std::vector<ResultPtr>& out, wasm::Store& store) {
  // Everything sent first (a large statement may not fit the socket).
  while (true) {
    int f = PQflush(conn_);
    if (f < 0) return unexpected(err(PgError::Kind::QueryFailed, PQerrorMessage(conn_)));
    if (f == 0) break;
    if (store.interrupted()) return unexpected(interrupted());
    if (wait_socket(conn_, POLLIN | POLLOUT) && !PQconsumeInput(conn_))
      return unexpected(err(PgError::Kind::QueryFailed, PQerrorMessage(conn_)));
  }
  while (true) {
    while (PQisBusy(conn_)) {
      if (store.interrupted()) {
        if (PGcancel* cancel = PQgetCancel(conn_)) {
          char buf[256];
          PQcancel(cancel, buf, sizeof buf);
          PQfreeCancel(cancel);
        }
        return unexpected(interrupted());
      }
      if (wait_socket(conn_, POLLIN) && !PQconsumeInput(conn_))
        return unexpected(err(PgError::Kind::QueryFailed, PQerrorMessage(conn_)));
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) return {};
    out.emplace_back(r, PQclear);
  }
}

const PgType* PgConnection::type(uint32_t id, wasm::Store& store) {
  if (const PgType* b = builtin_type(id)) return b;
  if (auto it = types_.find(id); it != types_.end()) return it->second.get();
  std::string param = std::to_string(id);
  const char* values[] = {param.c_str()};
  const char* q =
      "SELECT t.typname, t.typtype, t.typelem, t.typbasetype, COALESCE(r.rngsubtype, 0) "
      "FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid WHERE t.oid = $1::oid";
  ++lookups_;  // this replaces the unnamed statement
  if (!PQsendQueryParams(conn_, q, 1, nullptr, values, nullptr, nullptr, 0)) return nullptr;
  std::vector<ResultPtr> rs;
  if (!collect(rs, store) || rs.empty() || PQresultStatus(rs[0].get()) != PGRES_TUPLES_OK || PQntuples(rs[0].get()) != 1)
    return nullptr;
  const PGresult* r = rs[0].get();
  auto t = std::make_unique<PgType>();
  t->oid = id;
  t->name = PQgetvalue(r, 0, 0);
  char kind = PQgetvalue(r, 0, 1)[0];
  uint32_t elem = uint32_t(std::strtoul(PQgetvalue(r, 0, 2), nullptr, 10));
  uint32_t base = uint32_t(std::strtoul(PQgetvalue(r, 0, 3), nullptr, 10));
  if (kind != 'e' && kind != 'p' && base == 0) t->elem = elem;
  t->range_sub = uint32_t(std::strtoul(PQgetvalue(r, 0, 4), nullptr, 10));
  return (types_[id] = std::move(t)).get();
}

Expected<PgConnection::Results, PgError> PgConnection::run(const std::string& statement,
                                                           const std::vector<Value>& params, wasm::Store& store) {
  if (PQstatus(conn_) != CONNECTION_OK) return unexpected(err(PgError::Kind::QueryFailed, "connection closed"));
  // Parse: the server infers each placeholder's type.
  std::vector<ResultPtr> rs;
  auto prepare = [&]() -> Expected<void, PgError> {
    if (!PQsendPrepare(conn_, "", statement.c_str(), 0, nullptr))
      return unexpected(err(PgError::Kind::QueryFailed, PQerrorMessage(conn_)));
    if (auto ok = collect(rs, store); !ok) return ok;
    for (const auto& r : rs)
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return unexpected(query_failed(r.get(), conn_));
    rs.clear();
    return {};
  };
  if (auto ok = prepare(); !ok) return unexpected(ok.error());
  if (!PQsendDescribePrepared(conn_, "")) return unexpected(err(PgError::Kind::QueryFailed, PQerrorMessage(conn_)));
  if (auto ok = collect(rs, store); !ok) return unexpected(ok.error());
  if (rs.empty() || PQresultStatus(rs[0].get()) != PGRES_COMMAND_OK)
    return unexpected(query_failed(rs.empty() ? nullptr : rs[0].get(), conn_));
  int n = PQnparams(rs[0].get());
  if (size_t(n) != params.size())
    return unexpected(err(PgError::Kind::QueryFailed, "expected " + std::to_string(n) + " parameters but got " +
                                                          std::to_string(params.size())));
  std::vector<uint32_t> types;
  for (int i = 0; i < n; ++i) types.push_back(PQparamtype(rs[0].get(), i));
  rs.clear();

  // Bind: each value in binary, as its placeholder's type accepts it.
  uint64_t before = lookups_;
  TypeLookup lookup = [this, &store](uint32_t id) { return type(id, store); };
  std::vector<std::optional<std::string>> encoded;
  for (int i = 0; i < n; ++i) {
    const PgType* t = type(types[size_t(i)], store);
    if (store.interrupted()) return unexpected(interrupted());
    PgType unknown{types[size_t(i)], std::to_string(types[size_t(i)])};
    auto e = encode_param(params[size_t(i)], t ? *t : unknown, lookup);
    if (!e)
      return unexpected(err(PgError::Kind::QueryFailed,
                            "error serializing parameter " + std::to_string(i) + ": " + e.error().message));
    encoded.push_back(std::move(*e));
  }
  // Looking up a type of the server's replaced the unnamed statement.
  if (lookups_ != before)
    if (auto ok = prepare(); !ok) return unexpected(ok.error());
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& e : encoded) {
    values.push_back(e ? e->data() : nullptr);
    lengths.push_back(e ? int(e->size()) : 0);
    formats.push_back(1);
  }
  if (!PQsendQueryPrepared(conn_, "", n, values.data(), lengths.data(), formats.data(), 1))
    return unexpected(err(PgError::Kind::QueryFailed, PQerrorMessage(conn_)));
  if (auto ok = collect(rs, store); !ok) return unexpected(ok.error());
  for (const auto& r : rs) {
    auto s = PQresultStatus(r.get());
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY)
      return unexpected(query_failed(r.get(), conn_));
  }
  return Results{std::move(rs)};
}

Expected<uint64_t, PgError> PgConnection::execute(const std::string& statement, const std::vector<Value>& params,
                                                  wasm::Store& store) {
  auto r = run(statement, params, store);
  if (!r) return unexpected(r.error());
  if (r->results.empty()) return uint64_t(0);
  // The count of the command's tag (INSERT 0 3, UPDATE 2, SELECT 5), else 0.
  const char* n = PQcmdTuples(r->results.back().get());
  return uint64_t(n && *n ? std::strtoull(n, nullptr, 10) : 0);
}

Expected<PgRowSet, PgError> PgConnection::query(const std::string& statement, const std::vector<Value>& params,
                                                wasm::Store& store) {
  auto r = run(statement, params, store);
  if (!r) return unexpected(r.error());
  PgRowSet out;
  if (r->results.empty()) return out;
  const PGresult* res = r->results.back().get();
  int rows = PQntuples(res), cols = PQnfields(res);
  std::vector<const PgType*> types;
  for (int c = 0; c < cols; ++c) {
    uint32_t id = PQftype(res, c);
    const PgType* t = type(id, store);
    if (!t) {
      auto& slot = types_[id];
      slot = std::make_unique<PgType>(PgType{id, std::to_string(id)});
      t = slot.get();
    }
    types.push_back(t);
  }
  // Spin takes the columns from the first row: none without rows.
  if (rows > 0)
    for (int c = 0; c < cols; ++c) out.columns.emplace_back(PQfname(res, c), column_type(*types[size_t(c)]));
  size_t bytes = 0;
  for (int i = 0; i < rows; ++i) {
    std::vector<Value> row;
    for (int c = 0; c < cols; ++c) {
      int len = PQgetlength(res, i, c);
      bytes += size_t(len) + sizeof(Value);
      if (bytes > kMaxResultBytes)
        return unexpected(err(PgError::Kind::QueryFailed,
                              "query result exceeds limit of " + std::to_string(kMaxResultBytes) + " bytes"));
      auto v = decode_value(*types[size_t(c)], PQgetvalue(res, i, c), len, PQgetisnull(res, i, c));
      if (!v)
        return unexpected(err(PgError::Kind::QueryFailed,
                              "error deserializing column " + std::to_string(c) + ": " + v.error().message));
      row.push_back(std::move(*v));
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace whirl::spin::postgres
