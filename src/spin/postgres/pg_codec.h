// PostgreSQL's binary wire formats for the values Spin's postgres
// interfaces carry, with the conversions Spin's host makes between them
// and the WIT values (chrono dates and times, rust_decimal decimals, the
// uuid crate's UUIDs, serde_json JSON) and the same limits: a date or
// time chrono cannot hold is an error, a decimal rust_decimal cannot hold
// exactly is an error, JSON is re-serialized compactly with sorted keys.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace whirl::spin::postgres {

// Big-endian integers, as every binary format uses.
void put_i16(std::string& out, int16_t v);
void put_i32(std::string& out, int32_t v);
void put_i64(std::string& out, int64_t v);
int16_t get_i16(const char* p);
int32_t get_i32(const char* p);
int64_t get_i64(const char* p);

// ---- dates and times (proleptic Gregorian, as chrono) ----
// Days since 1970-01-01 of a civil date, and back.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d);
// chrono's NaiveDate range: years -262144..=262143.
bool chrono_year_ok(int64_t y);
bool valid_date(int64_t y, unsigned m, unsigned d);
// chrono's NaiveTime::from_hms_nano_opt (a leap second: second 59, nanos
// up to 1_999_999_999).
bool valid_time(unsigned h, unsigned m, unsigned s, uint32_t nanos);

// Postgres epochs are 2000-01-01: days (date) and microseconds (timestamp).
constexpr int64_t kPgEpochDays = 10957;  // 2000-01-01 - 1970-01-01

struct DateTime {
  int64_t year = 0;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  uint32_t nanos = 0;
};
// A timestamp's microseconds since 2000-01-01 as a civil date-time; none
// outside chrono's range ("value too large to decode").
std::optional<DateTime> timestamp_to_civil(int64_t micros);
// A civil date-time as microseconds since 2000-01-01 (nanoseconds cut to
// microseconds toward zero, as chrono's num_microseconds).
int64_t civil_to_timestamp(const DateTime& t);

// ---- numeric ----
// A decimal string as rust_decimal::Decimal::from_str_exact reads it
// (sign, digits, `_` separators, one point; at most 28 fractional digits
// and a 96-bit mantissa) in numeric's binary form; error: none.
std::optional<std::string> decimal_to_numeric(std::string_view text);
// numeric's binary form as text (the scale it carries); error for NaN and
// infinities, which a Decimal cannot hold.
Expected<std::string> numeric_to_decimal(std::string_view bin);

// ---- uuid ----
// The uuid crate's parse_str forms: simple, hyphenated, urn:uuid:, braced.
std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view text);
std::string format_uuid(const uint8_t* b);  // hyphenated, lowercase

// ---- JSON ----
// Compact JSON with object keys sorted (serde_json's Value), or none when
// `text` is not JSON.
std::optional<std::string> normalize_json(std::string_view text);

}  // namespace whirl::spin::postgres
