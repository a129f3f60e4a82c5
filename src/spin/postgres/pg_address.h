// A PostgreSQL address as Spin reads it (tokio-postgres's Config): a URL
// (`postgres://user:password@host1:port1,host2/dbname?param=value`,
// `postgresql://` too) or `key=value` pairs (`host=... user=...`, values
// optionally single-quoted), with tokio-postgres's set of parameters; an
// unknown parameter or a bad value is an error with its text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace whirl::spin::postgres {

struct PgAddress {
  std::optional<std::string> user, password, dbname, options, application_name;
  std::string sslmode = "prefer";  // disable, prefer, require (tokio-postgres has no verify-*)
  std::vector<std::string> hosts;  // a host starting with '/' is a Unix socket directory
  std::vector<std::string> hostaddrs;
  std::vector<uint16_t> ports;
  // Passed on to libpq as they are (connect_timeout, keepalives, ...).
  std::vector<std::pair<std::string, std::string>> extra;
};

Expected<PgAddress> parse_pg_address(std::string_view text);

}  // namespace whirl::spin::postgres
