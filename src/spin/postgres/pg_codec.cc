#include "spin/postgres/pg_codec.h"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

namespace whirl::spin::postgres {

void put_i16(std::string& out, int16_t v) {
  uint16_t u = uint16_t(v);
  out.push_back(char(u >> 8));
  out.push_back(char(u));
}
void put_i32(std::string& out, int32_t v) {
  uint32_t u = uint32_t(v);
  for (int s = 24; s >= 0; s -= 8) out.push_back(char(u >> s));
}
void put_i64(std::string& out, int64_t v) {
  uint64_t u = uint64_t(v);
  for (int s = 56; s >= 0; s -= 8) out.push_back(char(u >> s));
}
int16_t get_i16(const char* p) {
  auto b = reinterpret_cast<const uint8_t*>(p);
  return int16_t(uint16_t(b[0] << 8 | b[1]));
}
int32_t get_i32(const char* p) {
  auto b = reinterpret_cast<const uint8_t*>(p);
  return int32_t(uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]));
}
int64_t get_i64(const char* p) {
  return int64_t(uint64_t(uint32_t(get_i32(p))) << 32 | uint64_t(uint32_t(get_i32(p + 4))));
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = unsigned(doy - (153 * mp + 2) / 5 + 1);
  m = unsigned(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

bool chrono_year_ok(int64_t y) { return y >= -262144 && y <= 262143; }

bool valid_date(int64_t y, unsigned m, unsigned d) {
  if (!chrono_year_ok(y) || m < 1 || m > 12 || d < 1) return false;
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool valid_time(unsigned h, unsigned m, unsigned s, uint32_t nanos) {
  if (h >= 24 || m >= 60 || s >= 60) return false;
  return nanos < 1'000'000'000u || (s == 59 && nanos < 2'000'000'000u);
}

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

std::optional<DateTime> timestamp_to_civil(int64_t micros) {
  constexpr int64_t kDay = 86'400'000'000;
  int64_t days = floor_div(micros, kDay);
  int64_t rem = micros - days * kDay;
  DateTime t;
  civil_from_days(days + kPgEpochDays, t.year, t.month, t.day);
  if (!chrono_year_ok(t.year)) return std::nullopt;
  int64_t secs = rem / 1'000'000;
  t.hour = unsigned(secs / 3600);
  t.minute = unsigned(secs / 60 % 60);
  t.second = unsigned(secs % 60);
  t.nanos = uint32_t(rem % 1'000'000 * 1000);
  return t;
}

int64_t civil_to_timestamp(const DateTime& t) {
  __int128 days = days_from_civil(t.year, t.month, t.day) - kPgEpochDays;
  __int128 nanos = days * 86'400'000'000'000 +
                   __int128(int64_t(t.hour) * 3600 + t.minute * 60 + t.second) * 1'000'000'000 + t.nanos;
  return int64_t(nanos / 1000);
}

std::optional<std::string> decimal_to_numeric(std::string_view text) {
  bool neg = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
  std::string int_digits, frac_digits;
  bool point = false, any = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') continue;
    if (c == '.') {
      if (point) return std::nullopt;
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    any = true;
    (point ? frac_digits : int_digits).push_back(c);
  }
  if (!any || frac_digits.size() > 28) return std::nullopt;
  // The mantissa (all digits) must fit rust_decimal's 96 bits.
  std::string all = int_digits + frac_digits;
  size_t nz = all.find_first_not_of('0');
  std::string sig = nz == std::string::npos ? "" : all.substr(nz);
  if (sig.size() > 29) return std::nullopt;
  unsigned __int128 mant = 0;
  for (char c : sig) mant = mant * 10 + unsigned(c - '0');
  if (mant >> 96) return std::nullopt;

  // Base-10000 groups around the point.
  size_t ipad = (4 - int_digits.size() % 4) % 4;
  std::string ip = std::string(ipad, '0') + int_digits;
  std::string fp = frac_digits + std::string((4 - frac_digits.size() % 4) % 4, '0');
  std::vector<int16_t> groups;
  for (size_t k = 0; k < ip.size(); k += 4) groups.push_back(int16_t(std::stoi(ip.substr(k, 4))));
  int weight = int(ip.size() / 4) - 1;
  for (size_t k = 0; k < fp.size(); k += 4) groups.push_back(int16_t(std::stoi(fp.substr(k, 4))));
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) ++first, --weight;
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  std::string out;
  if (first == last) {
    put_i16(out, 0);
    put_i16(out, 0);
    put_i16(out, 0);
  } else {
    put_i16(out, int16_t(last - first));
    put_i16(out, int16_t(weight));
    put_i16(out, int16_t(neg ? 0x4000 : 0));
  }
  put_i16(out, int16_t(frac_digits.size()));
  for (size_t k = first; k < last; ++k) put_i16(out, groups[k]);
  return out;
}

Expected<std::string> numeric_to_decimal(std::string_view bin) {
  if (bin.size() < 8) return make_error("invalid buffer size");
  int ndigits = get_i16(bin.data()), weight = get_i16(bin.data() + 2), dscale = get_i16(bin.data() + 6);
  uint16_t sign = uint16_t(get_i16(bin.data() + 4));
  if (sign == 0xC000) return make_error("NaN not supported");
  if (sign == 0xD000 || sign == 0xF000) return make_error("infinity not supported");
  if (ndigits < 0 || bin.size() < 8 + size_t(ndigits) * 2 || dscale < 0) return make_error("invalid buffer size");
  auto digit = [&](int k) -> int { return k >= 0 && k < ndigits ? get_i16(bin.data() + 8 + 2 * k) : 0; };
  std::string ip;
  for (int k = 0; k <= weight; ++k) {
    std::string g = std::to_string(digit(k));
    ip += ip.empty() ? g : std::string(4 - g.size(), '0') + g;
  }
  ip.erase(0, std::min(ip.find_first_not_of('0'), ip.size()));
  if (ip.empty()) ip = "0";
  std::string fp;
  for (int k = weight + 1; int(fp.size()) < dscale; ++k) {
    std::string g = std::to_string(digit(k));
    fp += std::string(4 - g.size(), '0') + g;
  }
  fp.resize(size_t(dscale));
  bool zero = (ip == "0") && fp.find_first_not_of('0') == std::string::npos;
  return std::string(sign == 0x4000 && !zero ? "-" : "") + ip + (dscale > 0 ? "." + fp : "");
}

std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view s) {
  if (s.size() == 45 && s.substr(0, 9) == "urn:uuid:") s.remove_prefix(9);
  else if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  std::string hex;
  if (s.size() == 36) {
    for (size_t i = 0; i < 36; ++i) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (s[i] == '-')) return std::nullopt;
      if (!dash) hex.push_back(s[i]);
    }
  } else if (s.size() == 32) {
    hex = std::string(s);
  } else {
    return std::nullopt;
  }
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < 16; ++i) {
    int h = nib(hex[2 * i]), l = nib(hex[2 * i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    b[i] = uint8_t(h << 4 | l);
  }
  return b;
}

std::string format_uuid(const uint8_t* b) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

std::optional<std::string> normalize_json(std::string_view text) {
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j.dump();
}

}  // namespace whirl::spin::postgres
