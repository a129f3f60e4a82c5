// Outbound PostgreSQL (Spin's factor-outbound-pg): `fermyon:spin/postgres`
// (unversioned, and @2.0.0 with its rdbms-types), `spin:postgres/postgres@3.0.0`
// and `spin:postgres/postgres@4.2.0` (its synchronous functions, with the
// connection-builder of 4.1; components importing 4.0 or 4.1 link to it).
// An address is checked against the component's allowed_outbound_hosts
// (`postgres://host:port`, 5432 by default) before any connection;
// connections belong to the instance and close when dropped. Runtime
// config: `[outbound_pg] max_connections`.
#pragma once

#include "spin/factor/factor.h"

namespace whirl::spin {

const Factor& postgres_factor();

}  // namespace whirl::spin
