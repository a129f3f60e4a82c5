#include "component/types.h"

#include <array>

namespace whirl::component {

ValTypePtr primitive(TypeKind k) {
  static const auto table = [] {
    std::array<ValTypePtr, size_t(TypeKind::ErrorContext) + 1> t;
    for (size_t i = 0; i < t.size(); ++i) {
      auto v = std::make_shared<ValType>();
      v->kind = TypeKind(i);
      t[i] = std::move(v);
    }
    return t;
  }();
  return size_t(k) < table.size() ? table[size_t(k)] : nullptr;
}

namespace {

const char* primitive_name(TypeKind k) {
  switch (k) {
    case TypeKind::Bool: return "bool";
    case TypeKind::S8: return "s8";
    case TypeKind::U8: return "u8";
    case TypeKind::S16: return "s16";
    case TypeKind::U16: return "u16";
    case TypeKind::S32: return "s32";
    case TypeKind::U32: return "u32";
    case TypeKind::S64: return "s64";
    case TypeKind::U64: return "u64";
    case TypeKind::F32: return "f32";
    case TypeKind::F64: return "f64";
    case TypeKind::Char: return "char";
    case TypeKind::String: return "string";
    case TypeKind::ErrorContext: return "error-context";
    default: return nullptr;
  }
}

}  // namespace

std::string to_string(const ValType& t) { return to_string(t, TypeNames{}); }

std::string to_string(const ValType& t, const TypeNames& names) {
  if (const char* p = primitive_name(t.kind)) return p;
  // A nested type: by its name if it has one.
  auto nested = [&](const ValType& v) {
    if (names.type)
      if (std::string n = names.type(v); !n.empty()) return n;
    return to_string(v, names);
  };
  auto opt = [&](const ValTypePtr& v) { return v ? nested(*v) : std::string("_"); };
  auto resource = [&]() -> std::string {
    if (t.resource && names.resource)
      if (std::string n = names.resource(*t.resource); !n.empty()) return n;
    return "";
  };
  std::string s;
  auto join = [&](const std::vector<std::string>& parts) {
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  };
  switch (t.kind) {
    case TypeKind::List:
      return "list<" + opt(t.elem) + (t.fixed_length ? ", " + std::to_string(*t.fixed_length) : "") + ">";
    case TypeKind::Option: return "option<" + opt(t.elem) + ">";
    case TypeKind::Result:
      if (!t.ok && !t.err) return "result";
      if (!t.err) return "result<" + opt(t.ok) + ">";
      return "result<" + opt(t.ok) + ", " + opt(t.err) + ">";
    case TypeKind::Stream: return t.elem ? "stream<" + nested(*t.elem) + ">" : "stream";
    case TypeKind::Future: return t.elem ? "future<" + nested(*t.elem) + ">" : "future";
    case TypeKind::Map: return "map<" + opt(t.key) + ", " + opt(t.elem) + ">";
    case TypeKind::Own:
      if (auto n = resource(); !n.empty()) return n;
      return "own<resource " + std::to_string(t.resource ? t.resource->id : 0) + ">";
    case TypeKind::Borrow:
      if (auto n = resource(); !n.empty()) return "borrow<" + n + ">";
      return "borrow<resource " + std::to_string(t.resource ? t.resource->id : 0) + ">";
    case TypeKind::Tuple: {
      std::vector<std::string> parts;
      for (const auto& e : t.elems) parts.push_back(opt(e));
      s = "tuple<";
      join(parts);
      return s + ">";
    }
    case TypeKind::Record: {
      std::vector<std::string> parts;
      for (const auto& f : t.fields) parts.push_back(f.label + ": " + opt(f.type));
      s = "record { ";
      join(parts);
      return s + " }";
    }
    case TypeKind::Variant: {
      std::vector<std::string> parts;
      for (const auto& c : t.cases) parts.push_back(c.type ? c.label + "(" + nested(*c.type) + ")" : c.label);
      s = "variant { ";
      join(parts);
      return s + " }";
    }
    case TypeKind::Enum:
    case TypeKind::Flags:
      s = t.kind == TypeKind::Enum ? "enum { " : "flags { ";
      join(t.labels);
      return s + " }";
    default: return "?";
  }
}

}  // namespace whirl::component
