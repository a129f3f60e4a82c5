// wasi:http/types `fields` (headers and trailers): names and values
// checked as wasmtime checks them (the `http` crate's token and value
// rules), forbidden names refused, and the fields of a request or
// response immutable once attached.
#include <algorithm>
#include <array>

#include "wasi/http/state.h"

namespace whirl::wasi::http {
namespace {

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

Value header_error(const char* label) { return Value::err(Value::variant(label)); }

// The checks every change makes, in wasmtime's order: immutable, then the
// name's syntax, then forbidden names.
std::optional<Value> check_change(const Fields& f, std::string_view name) {
  if (f.immutable) return header_error("immutable");
  if (!valid_field_name(name)) return header_error("invalid-syntax");
  if (is_forbidden_header(name)) return header_error("forbidden");
  return std::nullopt;
}

void remove_all(Fields& f, std::string_view name) {
  std::erase_if(f.entries, [&](const auto& e) { return ieq(e.first, name); });
}

Value entry_list(const FieldList& entries) {
  std::vector<Value> out;
  out.reserve(entries.size());
  for (const auto& [n, v] : entries) out.push_back(Value::tuple({Value::string(n), Value::byte_list(v)}));
  return Value::list(std::move(out));
}

}  // namespace

bool is_forbidden_header(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kForbidden = {
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
      "transfer-encoding", "upgrade", "host", "http2-settings"};
  return std::any_of(kForbidden.begin(), kForbidden.end(), [&](std::string_view f) { return ieq(f, name); });
}

bool valid_field_name(std::string_view name) {
  if (name.empty() || name.size() > 65535) return false;
  for (unsigned char c : name) {
    bool tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
    if (!tchar) return false;
  }
  return true;
}

bool valid_field_value(std::string_view value) {
  for (unsigned char c : value)
    if ((c < 32 && c != '\t') || c == 127) return false;
  return true;
}

uint32_t new_fields(HttpState& h, FieldList entries, bool immutable) {
  return h.fields.add(Fields{std::move(entries), immutable});
}

Fields* find_fields(HttpState& h, const Value& handle) { return h.fields.get(rep(handle)); }

void add_fields(Linker& l) {
  def_resource(l, "fields", &HttpState::fields);
  def(l, kTypes, "[constructor]fields", [](WasiP2&, HttpState& h, HostCall&, std::span<Value>) -> HostResult {
    return ret(Value::own(new_fields(h, {}, false)));
  });
  def(l, kTypes, "[static]fields.from-list", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    FieldList entries;
    for (const Value& t : a[0].items) {
      std::string name = t.items[0].str, value = t.items[1].list_bytes();
      if (!valid_field_name(name)) return ret(header_error("invalid-syntax"));
      if (is_forbidden_header(name)) return ret(header_error("forbidden"));
      if (!valid_field_value(value)) return ret(header_error("invalid-syntax"));
      entries.emplace_back(std::move(name), std::move(value));
    }
    return ret(Value::ok(Value::own(new_fields(h, std::move(entries), false))));
  });
  def(l, kTypes, "[method]fields.get", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    std::vector<Value> out;
    for (const auto& [n, v] : f->entries)
      if (ieq(n, a[1].str)) out.push_back(Value::byte_list(v));
    return ret(Value::list(std::move(out)));
  });
  def(l, kTypes, "[method]fields.has", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    bool found = std::any_of(f->entries.begin(), f->entries.end(), [&](const auto& e) { return ieq(e.first, a[1].str); });
    return ret(Value::boolean(found));
  });
  def(l, kTypes, "[method]fields.set", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    if (auto e = check_change(*f, a[1].str)) return ret(std::move(*e));
    std::vector<std::string> values;
    for (const Value& v : a[2].items) {
      values.push_back(v.list_bytes());
      if (!valid_field_value(values.back())) return ret(header_error("invalid-syntax"));
    }
    // The new values take the place of the first old one, so order stays stable.
    auto first = std::find_if(f->entries.begin(), f->entries.end(), [&](const auto& e) { return ieq(e.first, a[1].str); });
    size_t at = size_t(first - f->entries.begin());
    remove_all(*f, a[1].str);
    FieldList add;
    for (auto& v : values) add.emplace_back(a[1].str, std::move(v));
    f->entries.insert(f->entries.begin() + std::ptrdiff_t(std::min(at, f->entries.size())), add.begin(), add.end());
    return ret(Value::ok());
  });
  def(l, kTypes, "[method]fields.delete", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    if (auto e = check_change(*f, a[1].str)) return ret(std::move(*e));
    remove_all(*f, a[1].str);
    return ret(Value::ok());
  });
  def(l, kTypes, "[method]fields.append", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    if (auto e = check_change(*f, a[1].str)) return ret(std::move(*e));
    std::string value = a[2].list_bytes();
    if (!valid_field_value(value)) return ret(header_error("invalid-syntax"));
    f->entries.emplace_back(a[1].str, std::move(value));
    return ret(Value::ok());
  });
  def(l, kTypes, "[method]fields.entries", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    return ret(entry_list(f->entries));
  });
  def(l, kTypes, "[method]fields.clone", [](WasiP2&, HttpState& h, HostCall&, std::span<Value> a) -> HostResult {
    Fields* f = find_fields(h, a[0]);
    if (!f) return trap("unknown fields");
    FieldList copy = f->entries;  // before add: the table may move nothing, but keep it obvious
    return ret(Value::own(new_fields(h, std::move(copy), false)));
  });
}

}  // namespace whirl::wasi::http
