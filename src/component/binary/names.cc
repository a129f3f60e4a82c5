// Import/export names and labels (Explainer.md "Import and Export
// Definitions", "Name Uniqueness"): the lexical rules, the attributes'
// rules of Binary.md, strong uniqueness.
#include <cctype>
#include <set>

#include "component/binary/scope.h"
#include "component/names.h"

namespace whirl::component::binary {
namespace {

const char* attribute_name(NameAttribute::Kind k) {
  switch (k) {
    case NameAttribute::Kind::Implements: return "implements";
    case NameAttribute::Kind::VersionSuffix: return "versionsuffix";
    case NameAttribute::Kind::ExternalId: return "external-id";
  }
  return "?";
}

}  // namespace

void check_extern_name(const AttributedName& n, const EntityType& type, const char* what, size_t offset) {
  auto parsed = parse_extern_name(n.name);
  if (!parsed) invalid(offset, std::string(what) + " name `" + n.name + "` is not a valid extern name");
  bool interface = parsed->kind == ExternName::Kind::Interface;
  std::string_view version = parsed->version_text;
  bool seen[3] = {false, false, false};
  for (const auto& a : n.attributes) {
    auto k = static_cast<size_t>(a.kind);
    if (seen[k]) invalid(offset, std::string("duplicate '") + attribute_name(a.kind) + "' option in name `" + n.name + "`");
    seen[k] = true;
    switch (a.kind) {
      case NameAttribute::Kind::Implements:
        if (auto impl = parse_extern_name(a.value); !impl || impl->kind != ExternName::Kind::Interface)
          invalid(offset, "`" + a.value + "` (implements) is not a valid interface name");
        if (interface || type.kind != ExternType::Kind::Instance)
          invalid(offset, "`implements` requires an instance-typed import or export with a plain name (`" + n.name + "`)");
        break;
      case NameAttribute::Kind::VersionSuffix: {
        for (char c : a.value)
          if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '+' && c != '-')
            invalid(offset, "`" + a.value + "` is not a valid version suffix");
        if (!interface || !is_canon_version(version) || !parse_semver(std::string(version) + a.value))
          invalid(offset, "version suffix `" + a.value + "` needs a name with a canonical version that it completes to a valid semver (`" + n.name + "`)");
        break;
      }
      case NameAttribute::Kind::ExternalId: break;
    }
  }
}

void check_labels(const std::vector<std::string>& labels, const char* what, size_t offset) {
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!is_label(l)) invalid(offset, std::string(what) + " name `" + l + "` is not in kebab case");
    if (!seen.insert(uniqueness_key(l)).second)
      invalid(offset, std::string(what) + " name `" + l + "` conflicts with a previous name");
  }
}

}  // namespace whirl::component::binary
