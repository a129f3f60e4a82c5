// Internal to the postgres factor: an instance's connections and the
// interfaces (each version) over them.
#pragma once

#include <memory>
#include <string>

#include "component/runtime/linker.h"
#include "spin/outbound/outbound.h"
#include "spin/postgres/pg_client.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin::postgres {

// Spin's resource tables hold 1024 entries per instance.
constexpr size_t kMaxConnectionsPerInstance = 1024;

struct PgInstance {
  std::shared_ptr<const Expected<AllowedHosts>> hosts;
  std::shared_ptr<outbound::ConnectionLimit> limit;
  struct Conn {
    std::unique_ptr<PgConnection> conn;
    outbound::ConnectionLimit::Permit permit;
  };
  wasi::p2::Table<Conn> connections;  // every version's connection resources
  struct Builder {
    std::string address, root_ca;
  };
  wasi::p2::Table<Builder> builders;  // spin:postgres@4 connection-builder
};

// Checks the address against the instance's allowed hosts, waits for the
// app's connection limit and connects; the new connection's handle.
Expected<uint32_t, PgError> open_connection(PgInstance& st, const std::string& address, const std::string& root_ca,
                                            wasm::Store& store);
// The certificate when it is PEM Spin can read (else `other`).
Expected<std::string, PgError> check_root_ca(const std::string& pem);

void add_interfaces(component::runtime::Linker& l);

}  // namespace whirl::spin::postgres
