#include "component/runtime/cx.h"

#include <functional>

#include "component/abi/layout.h"

namespace whirl::component::runtime {

namespace {

Unexpected<abi::Trap> trap(std::string message) { return unexpected(abi::Trap{std::move(message)}); }

const char* defined_by(const abi::RuntimeResourceType* t) {
  return t && t->impl ? "guest-defined resource" : "host-defined resource";
}

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

bool contains(const ValType& t, TypeKind k, int depth) {
  if (t.kind == k) return true;
  if (depth > 100) return false;
  auto sub = [&](const ValTypePtr& p) { return p && contains(*p, k, depth + 1); };
  if (sub(t.elem) || sub(t.key) || sub(t.ok) || sub(t.err)) return true;
  for (const auto& f : t.fields)
    if (sub(f.type)) return true;
  for (const auto& e : t.elems)
    if (sub(e)) return true;
  for (const auto& c : t.cases)
    if (sub(c.type)) return true;
  return false;
}

// A Latin-1 reading of the caller's memory: lifts any string as bytes.
class Latin1Cx final : public abi::CallContext {
 public:
  explicit Latin1Cx(std::span<uint8_t> mem) : mem_(mem) { encoding = abi::StringEncoding::Latin1Utf16; }
  std::span<uint8_t> memory() override { return mem_; }
  Expected<uint64_t, abi::Trap> realloc(uint64_t, uint64_t, uint64_t, uint64_t) override {
    return trap("no realloc while lifting");
  }

 private:
  std::span<uint8_t> mem_;
};

// Rust's core::str::Utf8Error text for the first error in `b`, if any.
std::optional<std::string> rust_utf8_error(const std::string& b) {
  size_t i = 0, n = b.size();
  auto u = [&](size_t k) { return static_cast<unsigned char>(b[k]); };
  while (i < n) {
    unsigned char c = u(i);
    size_t width = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                                  : (c >= 0xF0 && c <= 0xF4)   ? 4
                                                               : 0;
    auto invalid = [&](size_t len) {
      return "invalid utf-8 sequence of " + std::to_string(len) + " bytes from index " + std::to_string(i);
    };
    if (width == 0) return invalid(1);
    for (size_t k = 1; k < width; ++k) {
      if (i + k >= n) return "incomplete utf-8 byte sequence from index " + std::to_string(i);
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1 && c == 0xE0) lo = 0xA0;
      if (k == 1 && c == 0xED) hi = 0x9F;
      if (k == 1 && c == 0xF0) lo = 0x90;
      if (k == 1 && c == 0xF4) hi = 0x8F;
      if (u(i + k) < lo || u(i + k) > hi) return invalid(k);
    }
    i += width;
  }
  return std::nullopt;
}

// The bytes a Latin-1 string was read from (its code points, each < 256).
std::string latin1_bytes(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = utf8[i];
    if (c < 0x80) {
      out += char(c);
    } else if (i + 1 < utf8.size()) {
      out += char(((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F));
      ++i;
    }
  }
  return out;
}

std::optional<std::string> first_utf8_error(const abi::Value& v) {
  if (v.kind == TypeKind::String) return rust_utf8_error(latin1_bytes(v.str));
  for (const auto& item : v.items)
    if (auto e = first_utf8_error(item)) return e;
  return std::nullopt;
}

}  // namespace

bool contains_kind(std::span<const ValTypePtr> types, TypeKind k) {
  for (const auto& t : types)
    if (t && contains(*t, k, 0)) return true;
  return false;
}

// ---- handles ----

Expected<abi::ResourceHandle*, abi::Trap> checked_handle(Frame& f, uint32_t index,
                                                         const abi::RuntimeResourceType* want) {
  auto e = f.state.handles.get(index);
  if (!e) return trap("unknown handle index " + std::to_string(index) + " (" + e.error().message + ")");
  if ((*e)->kind != abi::HandleElement::Kind::Resource)
    return trap("handle index " + std::to_string(index) + " used with the wrong type, expected " + defined_by(want) +
                " but found a waitable or error context");
  abi::ResourceHandle& h = (*e)->resource;
  if (want && h.rt != want) {
    bool same_kind = (h.rt && h.rt->impl) == (want->impl != nullptr);
    return trap("handle index " + std::to_string(index) + " used with the wrong type, expected " + defined_by(want) +
                " but found " + (same_kind ? "a different " : "a ") + defined_by(h.rt));
  }
  if (h.borrow_scope && h.borrow_scope->ended)
    return trap("unknown handle index " + std::to_string(index) + " (a borrow whose call has returned)");
  return &h;
}

Expected<uint32_t, abi::Trap> CheckedHandles::lift_own(uint32_t index, const ResourceType& rt) {
  auto h = checked_handle(side_, index, side_.resources.find(rt.id));
  if (!h) return unexpected(h.error());
  if ((*h)->num_lends != 0) return trap("cannot remove owned resource while borrowed");
  if (!(*h)->own) return trap("cannot lift own resource from a borrow (handle index " + std::to_string(index) + ")");
  return inner_.lift_own(index, rt);
}

Expected<uint32_t, abi::Trap> CheckedHandles::lift_borrow(uint32_t index, const ResourceType& rt) {
  auto h = checked_handle(side_, index, side_.resources.find(rt.id));
  if (!h) return unexpected(h.error());
  return inner_.lift_borrow(index, rt);
}

Expected<uint32_t, abi::Trap> CheckedHandles::lower_own(uint32_t rep, const ResourceType& rt) {
  return inner_.lower_own(rep, rt);
}

Expected<uint32_t, abi::Trap> CheckedHandles::lower_borrow(uint32_t rep, const ResourceType& rt) {
  return inner_.lower_borrow(rep, rt);
}

// ---- GuestCx ----

GuestCx::GuestCx(Frame& side, const CanonOptions& o, abi::HandleTable* h, bool guest_to_guest,
                 std::span<const ValTypePtr> types)
    : side_(side), o_(o), guest_to_guest_(guest_to_guest), types_(types) {
  encoding = o.encoding;
  if (h) checked_.emplace(side, *h);
}

std::span<uint8_t> GuestCx::memory() {
  if (!o_.memory) return {};
  return {o_.memory->data(), static_cast<size_t>(o_.memory->size_bytes())};
}

Expected<uint64_t, abi::Trap> GuestCx::realloc(uint64_t old_ptr, uint64_t old_size, uint64_t align,
                                               uint64_t new_size) {
  if (!o_.realloc) return trap("canonical ABI: a value needs memory but there is no realloc");
  wasm::Value args[] = {wasm::Value::i32(uint32_t(old_ptr)), wasm::Value::i32(uint32_t(old_size)),
                        wasm::Value::i32(uint32_t(align)), wasm::Value::i32(uint32_t(new_size))};
  // realloc runs as its own (sync, lifted) call of the instance, which may
  // not leave it meanwhile.
  side_.state.may_leave = false;
  auto r = run_core(side_, o_.realloc, args);
  side_.state.may_leave = true;
  if (!r) return unexpected(keep_core_trap(std::move(r.error())));
  uint64_t ptr = (*r)[0].as_u32();
  if (align > 1 && ptr % align != 0)
    return trap(guest_to_guest_ ? "wasm trap: unaligned pointer (realloc returned " + std::to_string(ptr) + ")"
                                : "realloc return: result not aligned");
  if (ptr + new_size > memory().size()) {
    if (!guest_to_guest_) return trap("realloc return: beyond end of memory");
    const char* what = contains_kind(types_, TypeKind::String) && !contains_kind(types_, TypeKind::List)
                           ? "string"
                           : "list";
    return trap(std::string("wasm trap: ") + what + " content out-of-bounds (realloc returned " +
                std::to_string(ptr) + " for " + std::to_string(new_size) + " bytes)");
  }
  return ptr;
}

abi::Trap GuestCx::reword(abi::Trap t) const {
  const std::string& m = t.message;
  std::string w;
  bool has_string = contains_kind(types_, TypeKind::String), has_list = contains_kind(types_, TypeKind::List);
  if (starts_with(m, "misaligned ")) {
    w = "unaligned pointer";
  } else if (starts_with(m, "out of bounds: ")) {
    const char* what = has_string && !has_list ? "string" : has_list ? "list" : nullptr;
    if (guest_to_guest_) w = what ? std::string(what) + " content out-of-bounds" : "out of bounds memory access";
    else w = what ? std::string(what) + " pointer/length out of bounds of memory" : "pointer out of bounds of memory";
  } else if (starts_with(m, "variant discriminant ")) {
    w = "invalid variant discriminant";
  } else if (starts_with(m, "invalid char: ")) {
    w = "invalid `char` bit pattern";
  } else if (starts_with(m, "invalid UTF-8")) {
    if (!guest_to_guest_) return t;  // the host's words need the bytes: utf8_error()
    w = "invalid utf-8";
  } else if (starts_with(m, "unpaired surrogate")) {
    w = "invalid utf-16";
  } else {
    return t;
  }
  if (guest_to_guest_) w = "wasm trap: " + w;
  t.message = w + " (" + m + ")";
  return t;
}

std::string GuestCx::utf8_error(std::span<const abi::CoreValue> flat, uint32_t max_flat) {
  Latin1Cx cx(memory());
  abi::FlatReader reader(flat);
  auto vs = abi::lift_flat_values(cx, max_flat, reader, types_);
  if (!vs) return {};
  for (const auto& v : *vs)
    if (auto e = first_utf8_error(v)) return *e;
  return {};
}

}  // namespace whirl::component::runtime
