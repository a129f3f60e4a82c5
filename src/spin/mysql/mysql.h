// Outbound MySQL (Spin's factor-outbound-mysql): `fermyon:spin/mysql`
// (unversioned, and @2.0.0 with its rdbms-types) over libmariadb. The
// address (`mysql://user:password@host:port/db?ssl-mode=...`) is checked
// against the component's allowed_outbound_hosts (3306 by default) before
// any connection; connections belong to the instance and close when
// dropped. Statements are prepared (the binary protocol, as mysql_async
// sends them); result columns map to db-values as Spin maps them, and a
// column type Spin cannot convert (DECIMAL, DATE, ...) is
// `value-conversion-failed` for its non-null values. Runtime config:
// `[outbound_mysql] max_connections`. spin:mysql@3.0.0 is asynchronous
// (WASI 0.3) and not provided.
#pragma once

#include "spin/factor/factor.h"

namespace whirl::spin {

const Factor& mysql_factor();

}  // namespace whirl::spin
