// wasm::snapshot_module: what a pre-initialized module holds (memories,
// their grown size, every global, non-zero data only), what it drops (the
// start function, the initialization export), the indices code may still
// use, and the modules it refuses with a reason.
#include "wasm/snapshot/snapshot.h"

#include <gtest/gtest.h>

#include <chrono>

#include "wasm/binary/decoder.h"
#include "wasm/text/wat.h"

namespace whirl::wasm {
namespace {

std::vector<uint8_t> wat(const std::string& text) {
  auto b = text::wat_to_binary(text);
  EXPECT_TRUE(b) << b.error().message;
  return b ? *b : std::vector<uint8_t>{};
}

struct Running {
  std::unique_ptr<Store> store = Store::create();
  Instance* inst = nullptr;
  Value global(const std::string& name) { return inst->find_export(name)->as_global()->get(); }
  Value call(const std::string& name) { return (*store->invoke(inst->find_export(name)->as_func(), {}))[0]; }
};

Running run(std::span<const uint8_t> bytes) {
  Running r;
  auto c = load_module(bytes);
  EXPECT_TRUE(c) << c.error().message;
  if (!c) return r;
  auto inst = r.store->instantiate(*c, {});
  EXPECT_TRUE(inst) << inst.error().message;
  if (inst) r.inst = *inst;
  return r;
}

const char* kStateful = R"((module
  (memory (export "memory") 1 8)
  (global $count (export "count") (mut i32) (i32.const 0))
  (global $big (export "big") (mut i64) (i64.const 0))
  (global $f (export "f") (mut f32) (f32.const 0))
  (global $d (export "d") (mut f64) (f64.const 0))
  (global $k (export "k") i32 (i32.const 5))
  (data (i32.const 100) "original")
  (func $start (global.set $count (i32.add (global.get $count) (i32.const 1))))
  (start $start)
  (func (export "wizer.initialize")
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 10) (i32.const 0x01020304))
    (i32.store8 (i32.const 150000) (i32.const 9))
    (i64.store (i32.const 100) (i64.const 0x4847464544434241))
    (global.set $big (i64.const -1234567890123))
    (global.set $f (f32.const 1.5))
    (global.set $d (f64.const -2.25)))
  (func (export "load") (result i32) (i32.add (i32.load (i32.const 10)) (i32.load8_u (i32.const 150000)))))
)";

TEST(Snapshot, MemoriesAndGlobalsStartInTheStateInitializationLeft) {
  auto bytes = wat(kStateful);
  auto snap = snapshot_module(bytes);
  ASSERT_TRUE(snap) << snap.error().message;
  auto m = decode_module(snap->wasm);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->start);  // it ran before the initialization
  EXPECT_EQ(m->memories[0].limits.min, 3u);
  EXPECT_EQ(m->memories[0].limits.max, std::optional<uint32_t>(8));
  for (const auto& e : m->exports) EXPECT_NE(e.name, "wizer.initialize");
  EXPECT_EQ(snap->data_segments, 3u);  // at 10, 100 and 150000: the zeros between are not stored
  EXPECT_LT(snap->data_bytes, 200u);    // the zero pages are not stored

  auto r = run(snap->wasm);
  ASSERT_NE(r.inst, nullptr);
  EXPECT_EQ(r.global("count").as_u32(), 1u);  // the start function's one run
  EXPECT_EQ(int64_t(r.global("big").bits), -1234567890123);
  EXPECT_EQ(r.global("f").as_f32(), 1.5f);
  EXPECT_EQ(r.global("d").as_f64(), -2.25);
  EXPECT_EQ(r.global("k").as_u32(), 5u);
  EXPECT_EQ(r.call("load").as_u32(), 0x01020304u + 9);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.inst->memory(0)->data() + 100), 8), "ABCDEFGH");
  EXPECT_EQ(r.inst->memory(0)->pages(), 3u);

  SnapshotOptions keep;
  keep.keep_init_func = true;
  auto kept = snapshot_module(bytes, keep);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(run(kept->wasm).inst->find_export("wizer.initialize"));
}

// data.drop and memory.init name segments by index: the snapshot keeps at
// least as many (empty passive ones after its own), so such code still
// validates and behaves as after instantiation (active segments are
// dropped then).
TEST(Snapshot, SegmentIndicesCodeUsesStayValid) {
  auto snap = snapshot_module(wat(R"((module
    (memory 1)
    (data (i32.const 0) "a") (data (i32.const 1) "b") (data (i32.const 2) "c")
    (func (export "init") (i32.store8 (i32.const 0) (i32.const 0)))
    (func (export "drop") (result i32) (data.drop 2) (memory.init 2 (i32.const 0) (i32.const 0) (i32.const 0))
      (i32.load8_u (i32.const 1)))))"),
                              {.init_func = "init"});
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->data_segments, 1u);
  auto m = decode_module(snap->wasm);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->datas.size(), 3u);
  EXPECT_EQ(m->data_count, std::optional<uint32_t>(3));
  EXPECT_EQ(run(snap->wasm).call("drop").as_u32(), uint32_t('b'));
}

TEST(Snapshot, TheTimeLimitCoversTheStartFunctionAndTheInitialization) {
  SnapshotOptions o;
  o.time_limit = std::chrono::milliseconds(200);
  for (const char* text : {R"((module (func $spin (loop (br 0))) (start $spin) (func (export "wizer.initialize"))))",
                           R"((module (func (export "wizer.initialize") (loop (br 0)))))"}) {
    auto start = std::chrono::steady_clock::now();
    auto s = snapshot_module(wat(text), o);
    ASSERT_FALSE(s) << text;
    EXPECT_NE(s.error().message.find("ran longer than 200 ms"), std::string::npos) << s.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << text;
  }
}

TEST(Snapshot, RefusesWhatItCannotHoldAndSaysWhy) {
  auto error_of = [](const std::string& text, SnapshotOptions o = {}) {
    auto s = snapshot_module(wat(text), o);
    return s ? std::string("(snapshotted)") : s.error().message;
  };
  EXPECT_NE(error_of(R"((module (import "env" "mem" (memory 1)) (func (export "wizer.initialize"))))")
                .find("imports a memory (\"env\" \"mem\")"),
            std::string::npos);
  EXPECT_NE(error_of(R"((module (memory 1) (data "x") (func (export "wizer.initialize"))))").find("passive"),
            std::string::npos);
  EXPECT_NE(error_of(R"((module (global (mut funcref) (ref.null func)) (func (export "wizer.initialize"))))")
                .find("funcref"),
            std::string::npos);
  EXPECT_NE(error_of("(module)").find("no exported function \"wizer.initialize\""), std::string::npos);
  EXPECT_NE(error_of(R"((module (func (export "wizer.initialize") (param i32))))").find("must take and return nothing"),
            std::string::npos);
  EXPECT_NE(error_of(R"((module (func (export "wizer.initialize") unreachable)))").find("trapped: unreachable"),
            std::string::npos);
  EXPECT_NE(error_of(R"((module (import "env" "f" (func $f)) (func (export "wizer.initialize") (call $f))))")
                .find("the import \"env\" \"f\""),
            std::string::npos);
  const uint8_t junk[] = {0, 'a', 's', 'n', 1, 0, 0, 0};
  auto bad = snapshot_module(junk);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("magic"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace whirl::wasm
