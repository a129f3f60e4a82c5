// The decoded form of a component binary (design/mvp/Binary.md): one
// struct per definition, indices still unresolved. The decoder
// (component/binary/decoder.h) produces it and checks only the binary
// format; the validator (component/binary/validator.h) resolves indices
// into types (component/types.h) and checks the rest.
//
// Definitions of different kinds interleave and each one extends an index
// space, so a Component keeps one vector per kind plus `order`, the
// sequence in which they appeared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "component/types.h"
#include "wasm/module.h"
#include "wasm/types.h"

namespace whirl::component {

// The sorts of Binary.md's `sort`/`core:sort`: which index space an index
// refers to.
enum class Sort : uint8_t {
  CoreFunc, CoreTable, CoreMemory, CoreGlobal, CoreTag, CoreType, CoreModule, CoreInstance,
  Func, Value, Type, Component, Instance,
};
inline constexpr int kSortCount = 13;
const char* sort_name(Sort s);  // "core func", "type", ...

struct SortIdx {
  Sort sort = Sort::Func;
  uint32_t index = 0;
};

// nameattributes: an externname and its attributes, kept in order (the
// validator checks that each kind appears at most once).
struct NameAttribute {
  enum class Kind : uint8_t { Implements, VersionSuffix, ExternalId };
  Kind kind = Kind::Implements;
  std::string value;
};
struct AttributedName {
  std::string name;
  std::vector<NameAttribute> attributes;
};

// ---- core types (core type section, module types) ----

// A core type of a core `sub`/`rec` form; only function types are
// supported (struct/array are GC types, which the core engine lacks).
struct CoreSubType {
  bool final = true;
  std::vector<uint32_t> supertypes;
  wasm::FuncType func;
};

// core:externtype of a module type's imports and exports.
struct CoreExternType {
  enum class Kind : uint8_t { Func, Table, Memory, Global, Tag };
  Kind kind = Kind::Func;
  uint32_t type_index = 0;  // Func, Tag
  wasm::TableType table;
  wasm::MemoryType memory;
  wasm::GlobalType global;
};

struct CoreType;
struct CoreModuleDecl {
  enum class Kind : uint8_t { Import, Type, Alias, Export };
  Kind kind = Kind::Import;
  size_t offset = 0;
  std::string module, name;              // Import: both; Export: name
  CoreExternType type;                   // Import, Export
  std::shared_ptr<const CoreType> def;   // Type
  uint32_t outer_count = 0, outer_index = 0;  // Alias (always outer, sort core type)
};

struct CoreType {
  enum class Kind : uint8_t { Rec, Module };
  Kind kind = Kind::Rec;
  size_t offset = 0;
  std::vector<CoreSubType> rec;          // Rec: a group (one entry unless `rec` was explicit)
  std::vector<CoreModuleDecl> module;    // Module
};

// ---- component types ----

// valtype: a primitive or an index into the type index space.
struct ValTypeRef {
  bool is_index = false;
  TypeKind prim = TypeKind::Bool;  // !is_index
  uint32_t index = 0;              // is_index
};

struct LabeledRef {
  std::string label;
  ValTypeRef type;
};
struct CaseRef {
  std::string label;
  std::optional<ValTypeRef> type;
};

// defvaltype: `kind` says which members are used (as in ValType).
struct DefValType {
  TypeKind kind = TypeKind::Bool;
  std::vector<LabeledRef> fields;         // Record
  std::vector<CaseRef> cases;             // Variant
  std::vector<ValTypeRef> elems;          // Tuple
  std::vector<std::string> labels;        // Enum, Flags
  std::optional<ValTypeRef> elem;         // List, Option, Stream, Future, Map (value)
  std::optional<ValTypeRef> key;          // Map
  std::optional<uint32_t> fixed_length;   // List
  std::optional<ValTypeRef> ok, err;      // Result
  uint32_t resource = 0;                  // Own, Borrow: a type index
};

struct FuncTypeDef {
  bool async = false;
  std::vector<LabeledRef> params;
  std::optional<ValTypeRef> result;
};

struct ResourceTypeDef {
  wasm::ValType rep = wasm::ValType::I32;
  std::optional<uint32_t> dtor;  // core func index
};

// externtype: `index` is a core type index (CoreModule) or a type index.
struct ExternType {
  enum class Kind : uint8_t { CoreModule, Func, Value, Type, Component, Instance };
  Kind kind = Kind::Func;
  uint32_t index = 0;            // CoreModule, Func, Component, Instance; Type/Value with `eq`
  bool eq = true;                // Type: (eq index) or (sub resource); Value: (eq valueidx) or a valtype
  ValTypeRef value_type;         // Value without eq
};

struct Alias;
struct TypeDef;
// componentdecl / instancedecl.
struct TypeDecl {
  enum class Kind : uint8_t { CoreType, Type, Alias, Import, Export };
  Kind kind = Kind::Type;
  size_t offset = 0;
  std::shared_ptr<const CoreType> core_type;
  std::shared_ptr<const TypeDef> type;
  std::shared_ptr<const Alias> alias;
  AttributedName name;   // Import, Export
  ExternType extern_type;
};

struct TypeDef {
  enum class Kind : uint8_t { Val, Func, Component, Instance, Resource };
  Kind kind = Kind::Val;
  size_t offset = 0;
  DefValType val;
  FuncTypeDef func;
  std::vector<TypeDecl> decls;  // Component, Instance
  ResourceTypeDef resource;
};

// ---- definitions ----

struct Component;

// A core module: its bytes (a view into the component's storage) and the
// decoded module (validated by the component validator).
struct CoreModuleDef {
  size_t offset = 0;
  std::span<const uint8_t> bytes;
  std::shared_ptr<const wasm::Module> module;
  // A tier's code for exactly these bytes, found when decoding
  // (decode_component's find_compiled): the module's bodies were validated
  // when it was made, so they were neither decoded nor are validated again.
  std::shared_ptr<const void> compiled_before;
};

struct CoreInstanceDef {
  struct Arg { std::string name; uint32_t instance = 0; };
  struct InlineExport { std::string name; SortIdx item; };
  size_t offset = 0;
  bool instantiate = true;  // else inline exports
  uint32_t module = 0;
  std::vector<Arg> args;
  std::vector<InlineExport> exports;
};

struct InstanceDef {
  struct Arg { std::string name; SortIdx item; };
  struct InlineExport { AttributedName name; SortIdx item; };
  size_t offset = 0;
  bool instantiate = true;
  uint32_t component = 0;
  std::vector<Arg> args;
  std::vector<InlineExport> exports;
};

struct Alias {
  enum class Target : uint8_t { Export, CoreExport, Outer };
  size_t offset = 0;
  Sort sort = Sort::Func;
  Target target = Target::Export;
  uint32_t instance = 0;  // Export, CoreExport
  std::string name;       // Export, CoreExport
  uint32_t count = 0, index = 0;  // Outer
};

enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

// canonopt*: each option at most once (the validator checks; the decoder
// counts repeats in `duplicates`).
struct CanonOpts {
  std::optional<StringEncoding> encoding;
  std::optional<uint32_t> memory, realloc, post_return, callback;
  bool async = false;
  std::vector<std::string> duplicates;  // names of repeated or conflicting options
};

// The canon built-ins, named as in Binary.md (opcode in the comment).
enum class CanonKind : uint8_t {
  Lift, Lower,                                            // 0x00, 0x01
  ResourceNew, ResourceDrop, ResourceRep,                 // 0x02..0x04
  BackpressureInc, BackpressureDec,                       // 0x24, 0x25
  TaskReturn, TaskCancel,                                 // 0x09, 0x05
  ContextGet, ContextSet,                                 // 0x0a, 0x0b
  SubtaskCancel, SubtaskDrop,                             // 0x06, 0x0d
  StreamNew, StreamRead, StreamWrite, StreamCancelRead, StreamCancelWrite,
  StreamDropReadable, StreamDropWritable,                 // 0x0e..0x14
  FutureNew, FutureRead, FutureWrite, FutureCancelRead, FutureCancelWrite,
  FutureDropReadable, FutureDropWritable,                 // 0x15..0x1b
  ErrorContextNew, ErrorContextDebugMessage, ErrorContextDrop,  // 0x1c..0x1e
  WaitableSetNew, WaitableSetWait, WaitableSetPoll, WaitableSetDrop, WaitableJoin,  // 0x1f..0x23
  ThreadIndex, ThreadNewIndirect, ThreadResumeLater, ThreadSuspend, ThreadYield,
  ThreadSuspendThenResume, ThreadYieldThenResume, ThreadSuspendThenPromote,
  ThreadYieldThenPromote,                                 // 0x26..0x2d, 0x0c
  ThreadSpawnRef, ThreadSpawnIndirect, ThreadAvailableParallelism,  // 0x40..0x42
};
const char* canon_name(CanonKind k);  // "lift", "resource.new", ...

struct Canon {
  CanonKind kind = CanonKind::Lift;
  size_t offset = 0;
  uint32_t func = 0;       // Lift: core func; Lower: func
  uint32_t type = 0;       // Lift: func type; resource.*, stream.*, future.*: type; thread.*: core type
  uint32_t table = 0;      // ThreadNewIndirect, ThreadSpawnIndirect: core table
  uint32_t memory = 0;     // WaitableSetWait/Poll
  uint32_t context = 0;    // ContextGet/Set: slot index
  wasm::ValType core_type = wasm::ValType::I32;  // ContextGet/Set
  bool flag = false;       // async? / cancel? / shared? of the built-ins that take one
  std::optional<ValTypeRef> result;  // TaskReturn
  CanonOpts opts;
};

struct StartDef {
  size_t offset = 0;
  uint32_t func = 0;
  std::vector<uint32_t> args;  // value indices
  uint32_t results = 0;
};

struct ImportDef {
  size_t offset = 0;
  AttributedName name;
  ExternType type;
};

struct ExportDef {
  size_t offset = 0;
  AttributedName name;
  SortIdx item;
  std::optional<ExternType> type;  // ascribed
};

// 🪙 value definitions: kept undecoded (the validator rejects the feature).
struct ValueDef {
  size_t offset = 0;
  ValTypeRef type;
  std::span<const uint8_t> bytes;
};

struct CustomSection {
  size_t offset = 0;
  std::string name;
  std::span<const uint8_t> data;
};

// One entry per definition, in binary order: which vector and where.
struct Item {
  enum class Kind : uint8_t {
    CoreModule, CoreInstance, CoreType, Component, Instance, Alias, Type, Canon, Start, Import, Export, Value,
  };
  Kind kind = Kind::CoreModule;
  uint32_t index = 0;
};

struct Component {
  size_t offset = 0;  // of the preamble (nested components: inside the outermost binary)
  std::vector<Item> order;
  std::vector<CoreModuleDef> core_modules;
  std::vector<CoreInstanceDef> core_instances;
  std::vector<std::shared_ptr<const CoreType>> core_types;
  std::vector<std::shared_ptr<const Component>> components;
  std::vector<InstanceDef> instances;
  std::vector<Alias> aliases;
  std::vector<std::shared_ptr<const TypeDef>> types;
  std::vector<Canon> canons;
  std::vector<StartDef> starts;
  std::vector<ImportDef> imports;
  std::vector<ExportDef> exports;
  std::vector<ValueDef> values;
  std::vector<CustomSection> customs;  // all of them; `component-name` is the names
  // What the views above point into (the caller's bytes or a copy).
  std::shared_ptr<const void> storage;
};

}  // namespace whirl::component
