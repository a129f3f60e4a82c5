// Component decoding: preamble, the section loop, and the sections whose
// productions are not types or canon definitions (parts.h has those).
#include "component/binary/decoder.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "component/binary/parts.h"
#include "wasm/binary/decoder.h"

namespace whirl::component {
namespace {

using binary::DecodeFail;
using binary::Nest;
using binary::Reader;

constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6d};
constexpr uint8_t kMaxSectionId = 12;

const char* section_name(uint8_t id) {
  static const char* const kNames[] = {"custom", "core module", "core instance", "core type", "component",
                                       "instance", "alias", "type", "canon", "start", "import", "export",
                                       "value"};
  return id <= kMaxSectionId ? kNames[id] : "?";
}

// magic, version 0x0d 0x00, layer 0x01 0x00. A core module's header (layer
// 0) gets its own message: a common mix-up.
void preamble(Reader& r) {
  for (uint8_t m : kMagic) {
    size_t at = r.pos();
    if (r.u8() != m) Reader::fail(at, "magic header not detected");
  }
  size_t at = r.pos();
  uint16_t version = r.u8();
  version |= uint16_t(r.u8()) << 8;
  uint16_t layer = r.u8();
  layer |= uint16_t(r.u8()) << 8;
  if (layer == 0) Reader::fail(at, "expected a version header for a component");
  if (layer != 1) Reader::fail(at + 2, "unknown binary layer");
  if (version != 0x0d) Reader::fail(at, "unknown binary version");
}

template <class T, class F>
void vec(Reader& r, std::vector<T>& out, Item::Kind kind, std::vector<Item>& order, F read) {
  uint32_t n = r.count();
  out.reserve(out.size() + r.reserve_hint(n));
  order.reserve(order.size() + r.reserve_hint(n));
  for (uint32_t i = 0; i < n; ++i) {
    order.push_back({kind, static_cast<uint32_t>(out.size())});
    out.push_back(read(r));
  }
}

SortIdx sortidx(Reader& r) {
  SortIdx s;
  s.sort = binary::read_sort(r, "component external kind");
  s.index = r.u32();
  return s;
}

CoreInstanceDef core_instance(Reader& r) {
  CoreInstanceDef d;
  d.offset = r.pos();
  uint8_t b = r.u8();
  if (b == 0x00) {
    d.module = r.u32();
    uint32_t n = r.count();
    d.args.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) {
      CoreInstanceDef::Arg a;
      a.name = r.name();
      size_t at = r.pos();
      if (uint8_t k = r.u8(); k != 0x12) Reader::bad_byte(at, k, "instantiation arg kind");
      a.instance = r.u32();
      d.args.push_back(std::move(a));
    }
  } else if (b == 0x01) {
    d.instantiate = false;
    uint32_t n = r.count();
    d.exports.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) {
      CoreInstanceDef::InlineExport e;
      e.name = r.name();
      e.item.sort = binary::read_core_sort(r, "external kind");
      e.item.index = r.u32();
      d.exports.push_back(std::move(e));
    }
  } else {
    Reader::bad_byte(d.offset, b, "core instance");
  }
  return d;
}

InstanceDef instance(Reader& r) {
  InstanceDef d;
  d.offset = r.pos();
  uint8_t b = r.u8();
  if (b == 0x00) {
    d.component = r.u32();
    uint32_t n = r.count();
    d.args.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) {
      InstanceDef::Arg a;
      a.name = r.name();
      a.item = sortidx(r);
      d.args.push_back(std::move(a));
    }
  } else if (b == 0x01) {
    d.instantiate = false;
    uint32_t n = r.count();
    d.exports.reserve(r.reserve_hint(n));
    for (uint32_t i = 0; i < n; ++i) {
      InstanceDef::InlineExport e;
      e.name = binary::read_extern_name(r);
      e.item = sortidx(r);
      d.exports.push_back(std::move(e));
    }
  } else {
    Reader::bad_byte(d.offset, b, "instance");
  }
  return d;
}

ExportDef export_def(Reader& r) {
  ExportDef e;
  e.offset = r.pos();
  e.name = binary::read_extern_name(r);
  e.item = sortidx(r);
  size_t at = r.pos();
  uint8_t b = r.u8();
  if (b > 1) Reader::bad_byte(at, b, "optional component export type");
  if (b == 1) e.type = binary::read_extern_type(r);
  return e;
}

class ComponentDecoder {
 public:
  ComponentDecoder(std::shared_ptr<const void> storage, const FindCompiled& find)
      : storage_(std::move(storage)), find_(find) {}

  std::shared_ptr<Component> component(Reader& r) {
    Nest nest(r);
    auto c = std::make_shared<Component>();
    c->offset = r.pos();
    c->storage = storage_;
    preamble(r);
    while (!r.eof()) {
      size_t at = r.pos();
      uint8_t id = r.u8();
      if (id > kMaxSectionId) Reader::fail(at, "malformed section id");
      uint32_t size = r.u32();
      Reader s = r.sub(size);
      try {
        section(*c, id, s);
        if (!s.eof()) Reader::fail(s.pos(), "unexpected content at the end of the section (section size mismatch)");
      } catch (DecodeFail& f) {
        if (f.where.empty()) f.where = "section " + std::to_string(id) + " (" + section_name(id) + ")";
        throw;
      }
    }
    return c;
  }

 private:
  void section(Component& c, uint8_t id, Reader& r) {
    auto& order = c.order;
    switch (id) {
      case 0: {
        CustomSection s;
        s.offset = r.pos();
        s.name = r.name();
        s.data = r.bytes(r.remaining());
        c.customs.push_back(std::move(s));
        break;
      }
      case 1: core_module(c, r); break;
      case 2: vec(r, c.core_instances, Item::Kind::CoreInstance, order, core_instance); break;
      case 3: vec(r, c.core_types, Item::Kind::CoreType, order, binary::read_core_type); break;
      case 4: {
        Reader nested = r.sub(r.remaining());
        order.push_back({Item::Kind::Component, static_cast<uint32_t>(c.components.size())});
        c.components.push_back(component(nested));
        break;
      }
      case 5: vec(r, c.instances, Item::Kind::Instance, order, instance); break;
      case 6: vec(r, c.aliases, Item::Kind::Alias, order, binary::read_alias); break;
      case 7: vec(r, c.types, Item::Kind::Type, order, binary::read_type); break;
      case 8: vec(r, c.canons, Item::Kind::Canon, order, binary::read_canon); break;
      case 9: {
        StartDef s;
        s.offset = r.pos();
        s.func = r.u32();
        uint32_t n = r.count();
        s.args.reserve(r.reserve_hint(n));
        for (uint32_t i = 0; i < n; ++i) s.args.push_back(r.u32());
        s.results = r.u32();
        order.push_back({Item::Kind::Start, static_cast<uint32_t>(c.starts.size())});
        c.starts.push_back(std::move(s));
        break;
      }
      case 10:
        vec(r, c.imports, Item::Kind::Import, order, [](Reader& r) {
          ImportDef d;
          d.offset = r.pos();
          d.name = binary::read_extern_name(r);
          d.type = binary::read_extern_type(r);
          return d;
        });
        break;
      case 11: vec(r, c.exports, Item::Kind::Export, order, export_def); break;
      case 12:
        vec(r, c.values, Item::Kind::Value, order, [](Reader& r) {
          ValueDef v;
          v.offset = r.pos();
          v.type = binary::read_valtype(r);
          uint32_t len = r.u32();
          v.bytes = r.bytes(len);
          return v;
        });
        break;
    }
  }

  // The whole section is one core module, decoded by the core decoder.
  void core_module(Component& c, Reader& r) {
    CoreModuleDef m;
    m.offset = r.pos();
    m.bytes = r.bytes(r.remaining());
    static constexpr uint8_t kComponentHeader[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
    if (m.bytes.size() >= 8 && std::memcmp(m.bytes.data(), kComponentHeader, 8) == 0)
      Reader::fail(m.offset + 4, "expected a version header for a module");
    if (find_) m.compiled_before = find_(m.bytes);
    auto decoded =
        wasm::decode_module(m.bytes, storage_, wasm::Features::process_default(), /*bodies=*/!m.compiled_before);
    if (!decoded) Reader::fail(m.offset, kCoreModuleError + decoded.error().message);
    m.module = std::make_shared<const wasm::Module>(std::move(*decoded));
    c.order.push_back({Item::Kind::CoreModule, static_cast<uint32_t>(c.core_modules.size())});
    c.core_modules.push_back(std::move(m));
  }

  std::shared_ptr<const void> storage_;
  const FindCompiled& find_;
};

}  // namespace

Expected<Component> decode_component(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner,
                                     const FindCompiled& find_compiled) {
  if (!owner) {
    auto copy = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
    bytes = std::span<const uint8_t>(copy->data(), copy->size());
    owner = std::move(copy);
  }
  try {
    Reader r(bytes.data(), 0, bytes.size());
    ComponentDecoder d(owner, find_compiled);
    return std::move(*d.component(r));
  } catch (const DecodeFail& f) {
    char at[48];
    std::snprintf(at, sizeof at, "at offset 0x%zx: ", f.offset);
    return make_error((f.where.empty() ? std::string() : f.where + " ") + at + f.message);
  }
}

bool is_component_binary(std::span<const uint8_t> bytes) {
  static constexpr uint8_t kHeader[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kHeader, 8) == 0;
}

}  // namespace whirl::component
