// Linking: host functions from a Linker (HostFunc), missing and
// version-compatible imports, other components' instances and components
// as imports (ComponentImports), nested components with outer aliases, and
// reentrance through the host.
#include "runtime_test_util.h"

namespace whirl::component::runtime::test {
namespace {

using HostResult = Expected<std::vector<Value>, abi::Trap>;

// Imports `IFACE` (add: u32 u32 -> u32, greet: string -> string) and
// exports run = add(2, 3) * 10 + add(1, 1), and hello = greet("you").
std::string math_user(const std::string& iface) {
  return R"((component
  (import ")" + iface + R"(" (instance $h
    (export "add" (func (param "a" u32) (param "b" u32) (result u32)))
    (export "greet" (func (param "name" string) (result string)))))
  (core module $Libc (memory (export "mem") 1))" + std::string(kBumpRealloc) + R"()
  (core instance $libc (instantiate $Libc))
  (core func $add (canon lower (func $h "add")))
  (core func $greet (canon lower (func $h "greet") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (core module $M
    (import "" "mem" (memory 1))
    (import "" "add" (func $add (param i32 i32) (result i32)))
    (import "" "greet" (func $greet (param i32 i32 i32)))
    (data (i32.const 100) "you")
    (func (export "run") (result i32)
      (i32.add (i32.mul (call $add (i32.const 2) (i32.const 3)) (i32.const 10)) (call $add (i32.const 1) (i32.const 1))))
    (func (export "hello") (result i32)
      (call $greet (i32.const 100) (i32.const 3) (i32.const 16))
      (i32.const 16)))
  (core instance $m (instantiate $M (with "" (instance
    (export "mem" (memory $libc "mem")) (export "add" (func $add)) (export "greet" (func $greet))))))
  (func (export "run") (result u32) (canon lift (core func $m "run")))
  (func (export "hello") (result string) (canon lift (core func $m "hello") (memory (core memory $libc "mem")))))
)";
}

void define_math(Linker& linker, const std::string& name, uint32_t bias = 0) {
  linker.func(name, "add", [bias](HostCall& call, std::span<Value> args) -> HostResult {
    EXPECT_EQ(call.name().substr(call.name().find('#')), "#add");
    return std::vector<Value>{u32(uint32_t(args[0].u + args[1].u) + bias)};
  });
  linker.func(name, "greet", [](HostCall&, std::span<Value> args) -> HostResult {
    return std::vector<Value>{str("hello, " + args[0].str)};
  });
}

TEST(LinkingTest, HostFunctionsFromTheLinker) {
  Linker linker;
  define_math(linker, "test:host/math@1.0.0");
  auto inst = instantiate(load(math_user("test:host/math@1.0.0")), linker);
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "run"), std::vector<Value>{u32(52)});
  EXPECT_EQ(call(*inst, "hello"), std::vector<Value>{str("hello, you")});
}

TEST(LinkingTest, HostFunctionTrapEndsTheCall) {
  Linker linker;
  define_math(linker, "test:host/math@1.0.0");
  linker.func("test:host/math@1.0.0", "add", [](HostCall&, std::span<Value>) -> HostResult {
    return unexpected(abi::Trap{"add refused"});
  });
  auto inst = instantiate(load(math_user("test:host/math@1.0.0")), linker);
  ASSERT_TRUE(inst);
  EXPECT_EQ(trap(*inst, "run"), "add refused");
}

TEST(LinkingTest, MissingImportNamesTheInterfaceAndVersion) {
  auto c = load(math_user("test:host/math@1.0.0"));
  auto none = instantiate_error(c);
  EXPECT_TRUE(none.unlinkable);
  EXPECT_NE(none.message.find("`test:host/math@1.0.0`"), std::string::npos) << none.message;

  Linker other;
  define_math(other, "test:host/math@2.0.0");
  auto wrong = instantiate_error(c, other);
  EXPECT_TRUE(wrong.unlinkable);
  EXPECT_NE(wrong.message.find("`test:host/math@1.0.0`"), std::string::npos) << wrong.message;
  EXPECT_NE(wrong.message.find("`test:host/math@2.0.0`"), std::string::npos) << wrong.message;

  Linker partial;
  partial.func("test:host/math@1.0.0", "add", [](HostCall&, std::span<Value>) -> HostResult { return std::vector<Value>{}; });
  auto missing = instantiate_error(c, partial);
  EXPECT_TRUE(missing.unlinkable);
  EXPECT_NE(missing.message.find("`greet`"), std::string::npos) << missing.message;
}

// wasmtime's rule: the same 0.minor links whatever the patch; the highest
// compatible host version wins.
TEST(LinkingTest, VersionCompatibleImports) {
  Linker linker;
  define_math(linker, "test:host/math@0.2.3", 1000);
  define_math(linker, "test:host/math@0.2.6", 2000);
  define_math(linker, "test:host/math@0.3.0", 3000);
  auto inst = instantiate(load(math_user("test:host/math@0.2.12")), linker);
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "run"), std::vector<Value>{u32(22052)});  // (5 + 2000) * 10 + (2 + 2000)

  Linker old;
  define_math(old, "test:host/math@0.1.9");
  EXPECT_TRUE(instantiate_error(load(math_user("test:host/math@0.2.12")), old).unlinkable);
}

constexpr std::string_view kProvider = R"((component
  (core module $M
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
  (core instance $m (instantiate $M))
  (func (export "next") (result u32) (canon lift (core func $m "next"))))
)";

// Imports an instance with `next` and exports twice = next() + 10 * next().
constexpr std::string_view kConsumer = R"((component
  (import "counter" (instance $c (export "next" (func (result u32)))))
  (core func $next (canon lower (func $c "next")))
  (core module $M
    (import "" "next" (func $next (result i32)))
    (func (export "twice") (result i32) (i32.add (call $next) (i32.mul (call $next) (i32.const 10)))))
  (core instance $m (instantiate $M (with "" (instance (export "next" (func $next))))))
  (func (export "twice") (result u32) (canon lift (core func $m "twice"))))
)";

// An instance of another component satisfies an instance import; its state
// is shared with whoever else calls it.
TEST(LinkingTest, AnotherInstanceAsAnImport) {
  auto provider = instantiate(load(kProvider));
  ASSERT_TRUE(provider);
  ComponentImports imports;
  imports.instances["counter"] = provider;
  auto consumer = instantiate(load(kConsumer), {}, imports);
  ASSERT_TRUE(consumer);
  EXPECT_EQ(call(*consumer, "twice"), std::vector<Value>{u32(21)});
  EXPECT_EQ(call(*provider, "next"), std::vector<Value>{u32(3)});
  EXPECT_EQ(call(*consumer, "twice"), std::vector<Value>{u32(54)});
}

// An alias finds an import's export where it found it last time, with no
// name compared when that import is the host's (every instantiation of a
// component links the same one). Another instance with its exports in
// another order (and at other positions) satisfies the same import in
// between: each instantiation still calls the functions named.
constexpr std::string_view kTwoFuncUser = R"((component
  (import "test:host/pair@1.0.0" (instance $p
    (export "next" (func (result u32))) (export "base" (func (result u32)))))
  (core func $next (canon lower (func $p "next")))
  (core func $base (canon lower (func $p "base")))
  (core module $M
    (import "" "next" (func $next (result i32)))
    (import "" "base" (func $base (result i32)))
    (func (export "sum") (result i32) (i32.add (call $next) (i32.mul (call $base) (i32.const 100)))))
  (core instance $m (instantiate $M (with "" (instance (export "next" (func $next)) (export "base" (func $base))))))
  (func (export "sum") (result u32) (canon lift (core func $m "sum"))))
)";

constexpr std::string_view kReorderedPair = R"((component
  (core module $M
    (func (export "extra") (result i32) (i32.const 7))
    (func (export "base") (result i32) (i32.const 3))
    (func (export "next") (result i32) (i32.const 4)))
  (core instance $m (instantiate $M))
  (func (export "extra") (result u32) (canon lift (core func $m "extra")))
  (func (export "base") (result u32) (canon lift (core func $m "base")))
  (func (export "next") (result u32) (canon lift (core func $m "next"))))
)";

TEST(LinkingTest, AliasesFindExportsByNameWhateverInstanceTheImportIs) {
  Linker linker;
  linker.func("test:host/pair@1.0.0", "next", [](HostCall&, std::span<Value>) -> HostResult {
    return std::vector<Value>{u32(1)};
  });
  linker.func("test:host/pair@1.0.0", "base", [](HostCall&, std::span<Value>) -> HostResult {
    return std::vector<Value>{u32(2)};
  });
  auto user = load(kTwoFuncUser);
  auto reordered = instantiate(load(kReorderedPair));
  ASSERT_TRUE(reordered);
  ComponentImports imports;
  imports.instances["test:host/pair@1.0.0"] = reordered;
  for (int round = 0; round < 3; ++round) {
    auto from_host = instantiate(user, linker);
    ASSERT_TRUE(from_host);
    EXPECT_EQ(call(*from_host, "sum"), std::vector<Value>{u32(201)}) << "round " << round;
    auto from_other = instantiate(user, linker, imports);
    ASSERT_TRUE(from_other);
    EXPECT_EQ(call(*from_other, "sum"), std::vector<Value>{u32(304)}) << "round " << round;
  }
}

// Host functions see the host data of the instance that imported them:
// two instances of one component (which share what their imports link to)
// each get their own, and a component calling a host function another
// instance re-exports gets that instance's.
struct Tag {
  std::string name;
};

void define_tagged(Linker& linker) {
  linker.func("test:host/tag@1.0.0", "name", [](HostCall& call, std::span<Value>) -> HostResult {
    const Tag* tag = call.data<Tag>();
    return std::vector<Value>{str(tag ? tag->name : "(none)")};
  });
}

constexpr const char* kTagImporter = R"((component
  (import "test:host/tag@1.0.0" (instance $h (export "name" (func (result string)))))
  (export "tag" (instance $h)))
)";

std::string tag_name(ComponentInstance& inst, std::string_view func) {
  auto r = call(inst, func);
  return r.size() == 1 ? r[0].str : "";
}

TEST(LinkingTest, HostFunctionsSeeTheirOwnInstancesData) {
  Linker linker;
  define_tagged(linker);
  auto c = load(kTagImporter);
  auto a = instantiate(c, linker, {}, std::any(std::make_shared<Tag>(Tag{"a"})));
  auto b = instantiate(c, linker, {}, std::any(std::make_shared<Tag>(Tag{"b"})));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(tag_name(*a, "tag#name"), "a");
  EXPECT_EQ(tag_name(*b, "tag#name"), "b");
  EXPECT_EQ(tag_name(*a, "tag#name"), "a");
}

TEST(LinkingTest, HostFunctionsReexportedByAnotherInstanceSeeThatInstancesData) {
  Linker linker;
  define_tagged(linker);
  auto provider = instantiate(load(kTagImporter), linker, {}, std::any(std::make_shared<Tag>(Tag{"provider"})));
  ASSERT_TRUE(provider);
  ComponentImports imports;
  imports.instances["tags"] = provider;
  auto consumer = instantiate(load(R"((component
    (import "tags" (instance $t (export "tag" (instance (export "name" (func (result string)))))))
    (import "test:host/tag@1.0.0" (instance $h (export "name" (func (result string)))))
    (alias export $t "tag" (instance $tag))
    (export "theirs" (func $tag "name"))
    (export "mine" (func $h "name")))
  )"),
                              linker, imports, std::any(std::make_shared<Tag>(Tag{"consumer"})));
  ASSERT_TRUE(consumer);
  EXPECT_EQ(tag_name(*consumer, "theirs"), "provider");
  EXPECT_EQ(tag_name(*consumer, "mine"), "consumer");
}

// A host resource's destructor gets the host data of the instance that
// drops the handle: handles made through one instance's imports must not
// reach another, so an instance exporting such a type is not linked.
TEST(LinkingTest, HostResourcesDoNotCrossLinkedInstances) {
  Linker linker;
  linker.resource("test:host/blobs@1.0.0", "blob", [](HostCall&, uint32_t) {});
  auto provider = instantiate(load(R"((component
    (import "test:host/blobs@1.0.0" (instance $h (export "blob" (type (sub resource)))))
    (export "blobs" (instance $h)))
  )"),
                              linker);
  ASSERT_TRUE(provider);
  ComponentImports imports;
  imports.instances["p"] = provider;
  auto e = instantiate_error(load(R"((component
    (import "p" (instance (export "blobs" (instance (export "blob" (type (sub resource))))))))
  )"),
                             linker, imports);
  EXPECT_TRUE(e.unlinkable);
  EXPECT_NE(e.message.find("a resource of the host (test:host/blobs@1.0.0#blob)"), std::string::npos) << e.message;
}

TEST(LinkingTest, AnotherInstanceOfTheWrongTypeIsUnlinkable) {
  ComponentImports imports;
  imports.instances["counter"] = instantiate(load(R"((component
    (core module $M (func (export "f") (param i32) (result i32) (i32.const 0)))
    (core instance $m (instantiate $M))
    (func (export "next") (param "x" u32) (result u32) (canon lift (core func $m "f")))))"));
  auto wrong = instantiate_error(load(kConsumer), {}, imports);
  EXPECT_TRUE(wrong.unlinkable);
  EXPECT_NE(wrong.message.find("type mismatch for import `counter`"), std::string::npos) << wrong.message;

  imports.instances["counter"] = instantiate(load(R"((component))"));
  auto missing = instantiate_error(load(kConsumer), {}, imports);
  EXPECT_NE(missing.message.find("missing expected export `next`"), std::string::npos) << missing.message;
}

// A loaded component satisfies a component import: each instantiation
// inside is a new instance with its own state.
TEST(LinkingTest, AnotherComponentAsAnImport) {
  ComponentImports imports;
  imports.components["counter"] = load(kProvider);
  auto inst = instantiate(load(R"((component
    (import "counter" (component $C (export "next" (func (result u32)))))
    (instance $a (instantiate $C))
    (instance $b (instantiate $C))
    (export "next-a" (func $a "next"))
    (export "next-b" (func $b "next"))))"),
                          {}, imports);
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "next-a"), std::vector<Value>{u32(1)});
  EXPECT_EQ(call(*inst, "next-a"), std::vector<Value>{u32(2)});
  EXPECT_EQ(call(*inst, "next-b"), std::vector<Value>{u32(1)});
}

// Outer aliases reach a core module, a type and a component of enclosing
// components, one and two levels out; each instantiation of the aliased
// module is a new core instance.
TEST(LinkingTest, NestedComponentsWithOuterAliases) {
  auto inst = instantiate(load(R"((component $Outer
    (core module $Counter
      (global $n (mut i32) (i32.const 40))
      (func (export "next") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
    (type $t u32)
    (component $Leaf
      (core module $K (func (export "k") (result i32) (i32.const 7)))
      (core instance $k (instantiate $K))
      (func (export "k") (result u32) (canon lift (core func $k "k"))))
    (component $Mid
      (component $Inner
        (alias outer $Outer $Counter (core module $C))
        (alias outer $Outer $t (type $t2))
        (core instance $c (instantiate $C))
        (func (export "next") (result $t2) (canon lift (core func $c "next"))))
      (alias outer $Outer $Leaf (component $L))
      (instance $i1 (instantiate $Inner))
      (instance $i2 (instantiate $Inner))
      (instance $l (instantiate $L))
      (export "next-1" (func $i1 "next"))
      (export "next-2" (func $i2 "next"))
      (export "k" (func $l "k")))
    (instance $mid (instantiate $Mid))
    (export "next-1" (func $mid "next-1"))
    (export "next-2" (func $mid "next-2"))
    (export "k" (func $mid "k"))))"));
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "next-1"), std::vector<Value>{u32(41)});
  EXPECT_EQ(call(*inst, "next-1"), std::vector<Value>{u32(42)});
  EXPECT_EQ(call(*inst, "next-2"), std::vector<Value>{u32(41)});
  EXPECT_EQ(call(*inst, "k"), std::vector<Value>{u32(7)});
}

// A host function that calls back into the instance calling it: the
// instance is on the stack, so entering it again traps.
TEST(LinkingTest, ReentranceThroughTheHostTraps) {
  Linker linker;
  linker.func("test:host/cb@1.0.0", "call-back", [](HostCall& call, std::span<Value>) -> HostResult {
    auto& inst = call.instance();
    auto r = inst.call(inst.find_func("leaf"), {});
    if (r) return std::vector<Value>{};
    return unexpected(abi::Trap{r.error().message});
  });
  auto inst = instantiate(load(R"((component
    (import "test:host/cb@1.0.0" (instance $h (export "call-back" (func))))
    (core func $cb (canon lower (func $h "call-back")))
    (core module $M
      (import "" "cb" (func $cb))
      (func (export "outer") (call $cb))
      (func (export "leaf")))
    (core instance $m (instantiate $M (with "" (instance (export "cb" (func $cb))))))
    (func (export "outer") (canon lift (core func $m "outer")))
    (func (export "leaf") (canon lift (core func $m "leaf")))))"),
                          linker);
  ASSERT_TRUE(inst);
  EXPECT_NE(trap(*inst, "outer").find("cannot enter component instance"), std::string::npos);
}

}  // namespace
}  // namespace whirl::component::runtime::test
