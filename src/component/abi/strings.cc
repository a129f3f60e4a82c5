// Strings across the boundary (CanonicalABI.md, "Loading" load_string and
// "Storing" store_string): utf8, utf16 and latin1+utf16 ("compact UTF-16",
// whose length carries a UTF-16 tag bit), with the exact realloc calls of
// definitions.py, since a guest's allocator sees them.
#include <vector>

#include "common/utf8.h"
#include "component/abi/lift_lower.h"
#include "component/abi/memory_access.h"

namespace whirl::component::abi {

using detail::check_aligned;
using detail::check_range;
using detail::trap;

namespace {

uint64_t utf16_tag(PtrType p) { return uint64_t(1) << (ptr_size(p) * 8 - 1); }

// Strict UTF-8 (as Python's 'utf-8' codec): no overlong forms, no
// surrogates, nothing above U+10FFFF, no truncated sequence.
bool decode_utf8(const uint8_t* s, size_t n, std::vector<uint32_t>* out) {
  for (size_t i = 0; i < n;) {
    uint8_t b = s[i];
    if (b < 0x80) {
      if (out) out->push_back(b);
      ++i;
      continue;
    }
    size_t len;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) len = 2, c = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) len = 3, c = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) len = 4, c = b & 0x07, min = 0x10000;
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (s[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    if (out) out->push_back(c);
    i += len;
  }
  return true;
}

std::vector<uint8_t> encode_utf16le(const std::vector<uint32_t>& cps) {
  std::vector<uint8_t> out;
  out.reserve(cps.size() * 2);
  auto unit = [&](uint32_t u) {
    out.push_back(uint8_t(u));
    out.push_back(uint8_t(u >> 8));
  };
  for (uint32_t c : cps) {
    if (c < 0x10000) {
      unit(c);
    } else {
      c -= 0x10000;
      unit(0xD800 | (c >> 10));
      unit(0xDC00 | (c & 0x3FF));
    }
  }
  return out;
}

struct Cx {
  CallContext& cx;
  Expected<uint64_t, Trap> realloc(uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size) {
    return cx.realloc(old_ptr, old_size, align, new_size);
  }
  uint8_t* mem(uint64_t ptr) { return cx.memory().data() + ptr; }
};

// Each function below is the definitions.py function of the same name; the
// source text is given as code points, its length in source code units.
using CodePoints = std::vector<uint32_t>;

Expected<StoredString, Trap> store_string_copy(Cx c, const std::vector<uint8_t>& encoded, uint64_t src_code_units,
                                               uint64_t dst_alignment) {
  auto ptr = c.realloc(0, 0, dst_alignment, encoded.size());
  if (!ptr) return unexpected(ptr.error());
  WHIRL_TRY(check_aligned(*ptr, dst_alignment, "string"));
  WHIRL_TRY(detail::write_bytes(c.cx, *ptr, encoded.data(), encoded.size()));
  return StoredString{*ptr, src_code_units};
}

Expected<StoredString, Trap> store_string_to_utf8(Cx c, const CodePoints& src, const std::string& utf8,
                                                  uint64_t src_code_units, uint64_t worst_case_size) {
  auto ptr = c.realloc(0, 0, 1, src_code_units);
  if (!ptr) return unexpected(ptr.error());
  WHIRL_TRY(check_range(c.cx, *ptr, src_code_units));
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] < 0x80) {
      *c.mem(*ptr + i) = uint8_t(src[i]);
      continue;
    }
    ptr = c.realloc(*ptr, src_code_units, 1, worst_case_size);
    if (!ptr) return unexpected(ptr.error());
    WHIRL_TRY(check_range(c.cx, *ptr, worst_case_size));
    // Everything before i was ASCII: code point i starts at byte i.
    WHIRL_TRY(detail::write_bytes(c.cx, *ptr + i, utf8.data() + i, utf8.size() - i));
    if (worst_case_size > utf8.size()) {
      ptr = c.realloc(*ptr, worst_case_size, 1, utf8.size());
      if (!ptr) return unexpected(ptr.error());
      WHIRL_TRY(check_range(c.cx, *ptr, utf8.size()));
    }
    return StoredString{*ptr, utf8.size()};
  }
  return StoredString{*ptr, src_code_units};
}

Expected<StoredString, Trap> store_utf8_to_utf16(Cx c, const CodePoints& src, uint64_t src_code_units) {
  uint64_t worst_case_size = 2 * src_code_units;
  auto ptr = c.realloc(0, 0, 2, worst_case_size);
  if (!ptr) return unexpected(ptr.error());
  WHIRL_TRY(check_aligned(*ptr, 2, "string"));
  WHIRL_TRY(check_range(c.cx, *ptr, worst_case_size));
  auto encoded = encode_utf16le(src);
  WHIRL_TRY(detail::write_bytes(c.cx, *ptr, encoded.data(), encoded.size()));
  if (encoded.size() < worst_case_size) {
    ptr = c.realloc(*ptr, worst_case_size, 2, encoded.size());
    if (!ptr) return unexpected(ptr.error());
    WHIRL_TRY(check_aligned(*ptr, 2, "string"));
    WHIRL_TRY(check_range(c.cx, *ptr, encoded.size()));
  }
  return StoredString{*ptr, encoded.size() / 2};
}

Expected<StoredString, Trap> store_string_to_latin1_or_utf16(Cx c, const CodePoints& src, uint64_t src_code_units) {
  auto ptr = c.realloc(0, 0, 2, src_code_units);
  if (!ptr) return unexpected(ptr.error());
  WHIRL_TRY(check_aligned(*ptr, 2, "string"));
  WHIRL_TRY(check_range(c.cx, *ptr, src_code_units));
  uint64_t dst_byte_length = 0;
  for (uint32_t usv : src) {
    if (usv < 0x100) {
      *c.mem(*ptr + dst_byte_length) = uint8_t(usv);
      ++dst_byte_length;
      continue;
    }
    uint64_t worst_case_size = 2 * src_code_units;
    ptr = c.realloc(*ptr, src_code_units, 2, worst_case_size);
    if (!ptr) return unexpected(ptr.error());
    WHIRL_TRY(check_aligned(*ptr, 2, "string"));
    WHIRL_TRY(check_range(c.cx, *ptr, worst_case_size));
    // Widen the Latin-1 prefix in place, back to front.
    for (uint64_t j = dst_byte_length; j-- > 0;) {
      *c.mem(*ptr + 2 * j) = *c.mem(*ptr + j);
      *c.mem(*ptr + 2 * j + 1) = 0;
    }
    auto encoded = encode_utf16le(src);
    WHIRL_TRY(detail::write_bytes(c.cx, *ptr + 2 * dst_byte_length, encoded.data() + 2 * dst_byte_length,
                                  encoded.size() - 2 * dst_byte_length));
    if (worst_case_size > encoded.size()) {
      ptr = c.realloc(*ptr, worst_case_size, 2, encoded.size());
      if (!ptr) return unexpected(ptr.error());
      WHIRL_TRY(check_aligned(*ptr, 2, "string"));
      WHIRL_TRY(check_range(c.cx, *ptr, encoded.size()));
    }
    return StoredString{*ptr, (encoded.size() / 2) | utf16_tag(c.cx.ptr_type)};
  }
  if (dst_byte_length < src_code_units) {
    ptr = c.realloc(*ptr, src_code_units, 2, dst_byte_length);
    if (!ptr) return unexpected(ptr.error());
    WHIRL_TRY(check_aligned(*ptr, 2, "string"));
    WHIRL_TRY(check_range(c.cx, *ptr, dst_byte_length));
  }
  return StoredString{*ptr, dst_byte_length};
}

Expected<StoredString, Trap> store_probably_utf16_to_latin1_or_utf16(Cx c, const CodePoints& src,
                                                                     uint64_t src_code_units) {
  uint64_t src_byte_length = 2 * src_code_units;
  auto ptr = c.realloc(0, 0, 2, src_byte_length);
  if (!ptr) return unexpected(ptr.error());
  WHIRL_TRY(check_aligned(*ptr, 2, "string"));
  WHIRL_TRY(check_range(c.cx, *ptr, src_byte_length));
  auto encoded = encode_utf16le(src);
  WHIRL_TRY(detail::write_bytes(c.cx, *ptr, encoded.data(), encoded.size()));
  for (uint32_t cp : src)
    if (cp >= 0x100) return StoredString{*ptr, (encoded.size() / 2) | utf16_tag(c.cx.ptr_type)};
  uint64_t latin1_size = encoded.size() / 2;
  for (uint64_t i = 0; i < latin1_size; ++i) *c.mem(*ptr + i) = *c.mem(*ptr + 2 * i);
  ptr = c.realloc(*ptr, src_byte_length, 1, latin1_size);
  if (!ptr) return unexpected(ptr.error());
  WHIRL_TRY(check_range(c.cx, *ptr, latin1_size));
  return StoredString{*ptr, latin1_size};
}

}  // namespace

Expected<Value, Trap> load_string_from_range(CallContext& cx, uint64_t ptr, uint64_t tagged_code_units) {
  uint64_t tag = utf16_tag(cx.ptr_type);
  uint64_t alignment = 2, byte_length;
  StringSource source;
  switch (cx.encoding) {
    case StringEncoding::Utf8:
      alignment = 1, byte_length = tagged_code_units, source = StringSource::Utf8;
      break;
    case StringEncoding::Utf16:
      byte_length = 2 * tagged_code_units, source = StringSource::Utf16;
      if (tagged_code_units > kMaxStringByteLength) byte_length = tagged_code_units;  // traps below, no overflow
      break;
    case StringEncoding::Latin1Utf16:
    default:
      if (tagged_code_units & tag) {
        byte_length = 2 * (tagged_code_units ^ tag), source = StringSource::CompactUtf16;
      } else {
        byte_length = tagged_code_units, source = StringSource::CompactLatin1;
      }
      break;
  }
  if (byte_length > kMaxStringByteLength)
    return trap("string of " + std::to_string(byte_length) + " bytes exceeds the maximum of 2^28-1");
  WHIRL_TRY(check_aligned(ptr, alignment, "string"));
  WHIRL_TRY(check_range(cx, ptr, byte_length));
  const uint8_t* p = cx.memory().data() + ptr;
  std::string text;
  if (source == StringSource::Utf8) {
    if (!decode_utf8(p, byte_length, nullptr)) return trap("invalid UTF-8 in string");
    text.assign(reinterpret_cast<const char*>(p), byte_length);
  } else if (source == StringSource::CompactLatin1) {
    for (uint64_t i = 0; i < byte_length; ++i) append_utf8(text, p[i]);
  } else {
    for (uint64_t i = 0; i < byte_length; i += 2) {
      uint32_t u = p[i] | (uint32_t(p[i + 1]) << 8);
      if (u >= 0xD800 && u <= 0xDBFF && i + 3 < byte_length) {
        uint32_t lo = p[i + 2] | (uint32_t(p[i + 3]) << 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          append_utf8(text, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
          i += 2;
          continue;
        }
      }
      if (u >= 0xD800 && u <= 0xDFFF) return trap("unpaired surrogate in UTF-16 string");
      append_utf8(text, u);
    }
  }
  return Value::string(std::move(text), source);
}

Expected<StoredString, Trap> store_string_into_range(CallContext& cx, const Value& v) {
  if (v.kind != TypeKind::String) return trap("value " + to_string(v) + " is not a string");
  // A host-made string is bounded as a lifted one is, which also keeps every
  // worst-case size below 2^32.
  if (v.str.size() > kMaxStringByteLength) return trap("string exceeds the maximum of 2^28-1 bytes");
  CodePoints src;
  if (!decode_utf8(reinterpret_cast<const uint8_t*>(v.str.data()), v.str.size(), &src))
    return trap("string value is not valid UTF-8");
  uint64_t utf16_units = 0;
  bool latin1 = true;
  for (uint32_t c : src) {
    utf16_units += c >= 0x10000 ? 2 : 1;
    latin1 = latin1 && c < 0x100;
  }
  // The source's (simple) encoding and its length in its code units, as the
  // String triple of definitions.py holds them.
  StringSource source = v.source;
  if (source == StringSource::CompactLatin1 && !latin1) source = StringSource::CompactUtf16;
  Cx c{cx};
  switch (cx.encoding) {
    case StringEncoding::Utf8:
      switch (source) {
        case StringSource::Utf8: {
          std::vector<uint8_t> bytes(v.str.begin(), v.str.end());
          return store_string_copy(c, bytes, v.str.size(), 1);
        }
        case StringSource::Utf16: case StringSource::CompactUtf16:
          return store_string_to_utf8(c, src, v.str, utf16_units, utf16_units * 3);
        case StringSource::CompactLatin1:
          return store_string_to_utf8(c, src, v.str, src.size(), src.size() * 2);
      }
      break;
    case StringEncoding::Utf16:
      switch (source) {
        case StringSource::Utf8: return store_utf8_to_utf16(c, src, v.str.size());
        case StringSource::Utf16: case StringSource::CompactUtf16:
          return store_string_copy(c, encode_utf16le(src), utf16_units, 2);
        case StringSource::CompactLatin1: return store_string_copy(c, encode_utf16le(src), src.size(), 2);
      }
      break;
    case StringEncoding::Latin1Utf16:
      switch (source) {
        case StringSource::Utf8: return store_string_to_latin1_or_utf16(c, src, v.str.size());
        case StringSource::Utf16: return store_string_to_latin1_or_utf16(c, src, utf16_units);
        case StringSource::CompactLatin1: {
          std::vector<uint8_t> bytes(src.begin(), src.end());
          return store_string_copy(c, bytes, src.size(), 2);
        }
        case StringSource::CompactUtf16: return store_probably_utf16_to_latin1_or_utf16(c, src, utf16_units);
      }
      break;
  }
  return trap("unknown string encoding");
}

}  // namespace whirl::component::abi
