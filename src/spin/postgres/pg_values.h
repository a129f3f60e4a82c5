// Spin's PostgreSQL value mapping (factor-outbound-pg's types.rs over
// tokio-postgres): a guest's parameter-value becomes the binary form of
// the type the server inferred for its placeholder, accepted only where
// the Rust type Spin converts it to accepts that type (int32 only for
// int4, str for text/varchar/bpchar/name/unknown/citext, ...), and each
// column of a result becomes the db-value of its type, or `unsupported`
// with the raw bytes. Values are the newest interface's (spin:postgres@4);
// older interfaces narrow them (pg_interfaces.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/expected.h"
#include "component/abi/value.h"

namespace whirl::spin::postgres {

using component::abi::Value;

namespace oid {
constexpr uint32_t kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23,
                   kText = 25, kJson = 114, kFloat4 = 700, kFloat8 = 701, kUnknown = 705, kBpchar = 1042,
                   kVarchar = 1043, kDate = 1082, kTime = 1083, kTimestamp = 1114, kTimestamptz = 1184,
                   kInterval = 1186, kNumeric = 1700, kUuid = 2950, kJsonb = 3802, kInt4Range = 3904,
                   kNumRange = 3906, kInt8Range = 3926, kInt4Array = 1007, kInt8Array = 1016, kTextArray = 1009,
                   kVarcharArray = 1015, kBpcharArray = 1014, kNumericArray = 1231;
}

// What pg_type says of a type: its name, and for an array its element
// type, for a range its subtype (0: not one).
struct PgType {
  uint32_t oid = 0;
  std::string name;
  uint32_t elem = 0;
  uint32_t range_sub = 0;
};
// The type of an OID (builtins from a table, others asked of the server);
// null when it cannot be found.
using TypeLookup = std::function<const PgType*(uint32_t oid)>;
// The builtin types of the table (null: ask the server).
const PgType* builtin_type(uint32_t oid);

// Spin's conversion of a parameter before the statement is sent: an
// invalid date, time, timestamp, UUID, JSON or decimal is an error whose
// text says which (Spin: value-conversion-failed from execute,
// bad-parameter from query).
Expected<void> check_param(const Value& param);

// The binary form of `param` for a placeholder of type `target` (none:
// SQL NULL), or the error tokio-postgres gives when the Rust type does not
// accept it ("cannot convert between the Rust type `i32` and the Postgres
// type `int8`").
Expected<std::optional<std::string>> encode_param(const Value& param, const PgType& target,
                                                  const TypeLookup& types);

// The db-data-type case of a column type ("int32", "other" with the
// type's name for types without one).
Value column_type(const PgType& type);

// A column value in binary form (null: SQL NULL) as a db-value, or the
// error of converting it (a timestamptz, which Spin reads as a naive
// date-time and cannot; a date chrono cannot hold; a NaN decimal).
Expected<Value> decode_value(const PgType& type, const char* data, int len, bool null);

}  // namespace whirl::spin::postgres
