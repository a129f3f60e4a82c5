// The PostgreSQL address, value and wire-format conversions against the
// behaviour of the crates Spin uses (tokio-postgres's Config, chrono,
// rust_decimal, uuid, serde_json) and PostgreSQL's binary formats.
#include <gtest/gtest.h>

#include "spin/postgres/pg_address.h"
#include "spin/postgres/pg_codec.h"
#include "spin/postgres/pg_values.h"

namespace whirl::spin::postgres {
namespace {

using component::TypeKind;

TEST(PgAddress, UrlForm) {
  auto a = parse_pg_address("postgres://me:p%40ss@db.example.com:6543,other/shop?application_name=x&sslmode=disable");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(*a->user, "me");
  EXPECT_EQ(*a->password, "p@ss");
  EXPECT_EQ(*a->dbname, "shop");
  EXPECT_EQ(*a->application_name, "x");
  EXPECT_EQ(a->sslmode, "disable");
  ASSERT_EQ(a->hosts.size(), 2u);
  EXPECT_EQ(a->hosts[1], "other");
  // Every host of a URL gets a port, 5432 when it names none.
  EXPECT_EQ(a->ports, (std::vector<uint16_t>{6543, 5432}));
  auto v6 = parse_pg_address("postgresql://[::1]:7000/db");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->hosts[0], "::1");
  EXPECT_EQ(v6->ports[0], 7000);
}

TEST(PgAddress, KeyValueForm) {
  auto a = parse_pg_address("host=127.0.0.1 port = 5433 user=postgres password='it\\'s secret' dbname=x");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->hosts[0], "127.0.0.1");
  EXPECT_EQ(a->ports[0], 5433);
  EXPECT_EQ(*a->password, "it's secret");
  EXPECT_TRUE(parse_pg_address("host=/var/run/postgresql user=x")->hosts[0] == "/var/run/postgresql");
}

TEST(PgAddress, Errors) {
  EXPECT_EQ(parse_pg_address("host=x colour=blue").error().message, "invalid configuration: unknown option `colour`");
  EXPECT_EQ(parse_pg_address("host=x port=http").error().message, "invalid configuration: invalid value for option `port`");
  EXPECT_EQ(parse_pg_address("host=x sslmode=sometimes").error().message,
            "invalid configuration: invalid value for option `sslmode`");
  EXPECT_FALSE(parse_pg_address("host='x"));
  EXPECT_FALSE(parse_pg_address("host"));
  EXPECT_FALSE(parse_pg_address("postgres://h/db?novalue"));
}

TEST(PgCodec, Decimal) {
  // rust_decimal's from_str_exact: scale kept, `_` ignored, at most 28 fractional digits.
  for (auto [in, out] : std::vector<std::pair<const char*, const char*>>{
           {"1.50", "1.50"}, {"-0.001", "-0.001"}, {"1_000", "1000"}, {"0", "0"}, {"12345678.9", "12345678.9"},
           {"79228162514264337593543950335", "79228162514264337593543950335"}, {".5", "0.5"}, {"+3", "3"}}) {
    auto bin = decimal_to_numeric(in);
    ASSERT_TRUE(bin) << in;
    auto text = numeric_to_decimal(*bin);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, out) << in;
  }
  for (const char* bad : {"", "-", "1.2.3", "1e5", "abc", "79228162514264337593543950336", "0.00000000000000000000000000001"})
    EXPECT_FALSE(decimal_to_numeric(bad)) << bad;
}

TEST(PgCodec, DatesAsChronoDoes) {
  EXPECT_EQ(days_from_civil(2000, 1, 1), kPgEpochDays);
  int64_t y;
  unsigned m, d;
  civil_from_days(days_from_civil(-44, 3, 15), y, m, d);
  EXPECT_EQ(y, -44);
  EXPECT_EQ(m, 3u);
  EXPECT_EQ(d, 15u);
  EXPECT_TRUE(valid_date(2024, 2, 29));
  EXPECT_FALSE(valid_date(2023, 2, 29));
  EXPECT_FALSE(valid_date(262144, 1, 1));
  EXPECT_TRUE(valid_time(23, 59, 59, 1'500'000'000));  // a leap second
  EXPECT_FALSE(valid_time(23, 59, 58, 1'500'000'000));
  DateTime t{1999, 12, 31, 23, 59, 59, 999'999'999};
  EXPECT_EQ(civil_to_timestamp(t), 0);  // -1 ns, truncated toward zero as chrono does
  t.nanos = 998'000'000;
  EXPECT_EQ(civil_to_timestamp(t), -2000);
  auto back = timestamp_to_civil(-1);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->second, 59u);
  EXPECT_EQ(back->nanos, 999'999'000u);
  EXPECT_FALSE(timestamp_to_civil(INT64_MAX));  // infinity
}

TEST(PgCodec, Uuid) {
  auto a = parse_uuid("67E55044-10B1-426F-9247-BB680E5FE0C8");
  ASSERT_TRUE(a);
  EXPECT_EQ(format_uuid(a->data()), "67e55044-10b1-426f-9247-bb680e5fe0c8");
  EXPECT_TRUE(parse_uuid("67e5504410b1426f9247bb680e5fe0c8"));
  EXPECT_TRUE(parse_uuid("urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8"));
  EXPECT_TRUE(parse_uuid("{67e55044-10b1-426f-9247-bb680e5fe0c8}"));
  EXPECT_FALSE(parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c"));
  EXPECT_FALSE(parse_uuid("67e55044x10b1-426f-9247-bb680e5fe0c8"));
}

TEST(PgCodec, JsonAsSerdeJson) {
  EXPECT_EQ(*normalize_json(R"({ "b": [1, 2.5, true], "a": null })"), R"({"a":null,"b":[1,2.5,true]})");
  EXPECT_FALSE(normalize_json("{oops}"));
}

TEST(PgValues, AcceptsAsTokioPostgres) {
  TypeLookup none = [](uint32_t o) { return builtin_type(o); };
  auto encode = [&](const Value& p, uint32_t oid) { return encode_param(p, *builtin_type(oid), none); };
  Value i32 = Value::variant("int32", Value::sint(TypeKind::S32, 7));
  EXPECT_TRUE(encode(i32, oid::kInt4));
  auto wrong = encode(i32, oid::kInt8);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "cannot convert between the Rust type `i32` and the Postgres type `int8`");
  Value s = Value::variant("str", Value::string("x"));
  for (uint32_t o : {oid::kText, oid::kVarchar, oid::kBpchar, oid::kName, oid::kUnknown}) EXPECT_TRUE(encode(s, o));
  EXPECT_FALSE(encode(s, oid::kInt4));
  Value null = Value::variant("db-null");
  auto n = encode(null, oid::kInt8);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->has_value());
  // A Unix timestamp goes to timestamptz only; a date-time to timestamp only.
  Value ts = Value::variant("timestamp", Value::sint(TypeKind::S64, 0));
  EXPECT_TRUE(encode(ts, oid::kTimestamptz));
  EXPECT_FALSE(encode(ts, oid::kTimestamp));
}

TEST(PgValues, ConversionErrorsAsSpin) {
  auto date = Value::variant("date", Value::tuple({Value::sint(TypeKind::S32, 2023), Value::uint(TypeKind::U8, 2),
                                                   Value::uint(TypeKind::U8, 30)}));
  EXPECT_EQ(check_param(date).error().message, "invalid date y=2023, m=2, d=30");
  EXPECT_EQ(check_param(Value::variant("uuid", Value::string("nope"))).error().message, "invalid UUID nope");
  EXPECT_EQ(check_param(Value::variant("decimal", Value::string("1.2.3"))).error().message, "invalid decimal 1.2.3");
  EXPECT_EQ(check_param(Value::variant("jsonb", Value::byte_list("{"))).error().message, "invalid JSON {");
  EXPECT_EQ(check_param(Value::variant("timestamp", Value::sint(TypeKind::S64, INT64_MAX))).error().message,
            "invalid epoch timestamp 9223372036854775807");
}

}  // namespace
}  // namespace whirl::spin::postgres
