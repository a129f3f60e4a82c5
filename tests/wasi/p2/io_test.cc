// wasi:io over real pipes and clocks: backpressure, readiness, polling
// many pollables, interrupted waits.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "harness.h"

namespace whirl::wasi::p2::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    r = p[0];
    w = p[1];
  }
  ~Pipe() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
  }
  std::string drain() {  // everything available now
    std::string s;
    int fl = fcntl(r, F_GETFL);
    fcntl(r, F_SETFL, fl | O_NONBLOCK);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(r, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
    fcntl(r, F_SETFL, fl);
    return s;
  }
};

class WasiP2Io : public P2Test {
 protected:
  Value subscribe_in(const Value& s) { return in("subscribe", {borrow(s)}); }
  Value subscribe_out(const Value& s) { return out("subscribe", {borrow(s)}); }
  bool ready(const Value& p) { return call1("wasi:io/poll", "[method]pollable.ready", {borrow(p)}).b; }
  std::vector<uint64_t> poll(std::vector<Value> ps) {
    std::vector<Value> list;
    for (const auto& p : ps) list.push_back(borrow(p));
    Value r = call1("wasi:io/poll", "poll", {Value::list(std::move(list))});
    std::vector<uint64_t> out;
    for (const auto& v : r.items) out.push_back(v.u);
    return out;
  }
  Value after(uint64_t ns) { return call1("wasi:clocks/monotonic-clock", "subscribe-duration", {u64(ns)}); }
};

TEST_F(WasiP2Io, StdoutPipeAppliesBackpressure) {
  Pipe p;
  WasiConfig c;
  c.stdout_fd = p.w;
  start(c);
  Value s = call1("wasi:cli/stdout", "get-stdout");
  Value pollable = subscribe_out(s);
  EXPECT_TRUE(ready(pollable));
  std::string sent;
  int rounds = 0;
  // Write what check-write permits until the pipe (64 KiB) is full.
  while (rounds++ < 1000) {
    uint64_t n = ok(out("check-write", {borrow(s)})).u;
    if (n == 0) break;
    EXPECT_LE(n, 4096u);  // PIPE_BUF: such a write never blocks
    std::string chunk(n, char('a' + rounds % 26));
    EXPECT_FALSE(out("write", {borrow(s), bytes(chunk)}).is_err);
    sent += chunk;
  }
  EXPECT_GE(sent.size(), 4096u);
  EXPECT_EQ(ok(out("check-write", {borrow(s)})).u, 0u);
  EXPECT_FALSE(ready(pollable));
  // The reader takes everything: writable again, and every byte arrived in order.
  std::string got = p.drain();
  EXPECT_TRUE(ready(pollable));
  EXPECT_GT(ok(out("check-write", {borrow(s)})).u, 0u);
  EXPECT_FALSE(out("blocking-flush", {borrow(s)}).is_err);
  got += p.drain();
  EXPECT_EQ(got, sent);
}

TEST_F(WasiP2Io, StdoutReaderGoneIsAnError) {
  Pipe p;
  close(p.r);
  p.r = -1;
  WasiConfig c;
  c.stdout_fd = p.w;
  start(c);
  signal(SIGPIPE, SIG_IGN);
  Value s = call1("wasi:cli/stdout", "get-stdout");
  Value r = out("blocking-write-and-flush", {borrow(s), bytes("x")});
  ASSERT_TRUE(r.is_err);
  EXPECT_EQ(r.payload()->label, "last-operation-failed");
  EXPECT_EQ(out("check-write", {borrow(s)}).payload()->label, "closed");
}

TEST_F(WasiP2Io, SinksTakeStdoutAndStderr) {
  std::string o, e;
  bool open = true;
  WasiConfig c;
  c.stdout_sink = [&](std::string_view b) { return o.append(b), true; };
  c.stderr_sink = [&](std::string_view b) { return open ? (e.append(b), true) : false; };
  start(c);
  Value so = call1("wasi:cli/stdout", "get-stdout"), se = call1("wasi:cli/stderr", "get-stderr");
  EXPECT_FALSE(out("blocking-write-and-flush", {borrow(so), bytes("out")}).is_err);
  EXPECT_FALSE(out("write", {borrow(se), bytes("err")}).is_err);
  EXPECT_FALSE(out("flush", {borrow(se)}).is_err);
  EXPECT_EQ(o, "out");
  EXPECT_EQ(e, "err");
  open = false;  // the client went away
  EXPECT_TRUE(out("write", {borrow(se), bytes("lost")}).is_err);
  EXPECT_EQ(out("write", {borrow(se), bytes("lost")}).payload()->label, "closed");
  EXPECT_EQ(e, "err");
}

TEST_F(WasiP2Io, StdinPipeReadinessAndEnd) {
  Pipe p;
  WasiConfig c;
  c.stdin_fd = p.r;
  start(c);
  Value s = call1("wasi:cli/stdin", "get-stdin");
  Value pollable = subscribe_in(s);
  EXPECT_EQ(text(ok(in("read", {borrow(s), u64(10)}))), "");  // nothing yet, and no wait
  EXPECT_FALSE(ready(pollable));
  ASSERT_EQ(::write(p.w, "abc", 3), 3);
  EXPECT_EQ(poll({after(10'000'000'000), pollable}), std::vector<uint64_t>{1});
  EXPECT_EQ(text(ok(in("read", {borrow(s), u64(2)}))), "ab");
  EXPECT_EQ(text(ok(in("blocking-read", {borrow(s), u64(10)}))), "c");
  close(p.w);
  p.w = -1;
  EXPECT_TRUE(ready(pollable));  // end of stream is ready too
  EXPECT_EQ(in("blocking-read", {borrow(s), u64(10)}).payload()->label, "closed");
}

TEST_F(WasiP2Io, BlockingReadIsInterrupted) {
  Pipe p;  // never written
  WasiConfig c;
  c.stdin_fd = p.r;
  start(c);
  Value s = call1("wasi:cli/stdin", "get-stdin");
  auto t0 = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    store().interrupt();
  });
  EXPECT_EQ(trap_of("wasi:io/streams", "[method]input-stream.blocking-read", {borrow(s), u64(1)}), "interrupted");
  stopper.join();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
  // A clock wait ends too.
  EXPECT_EQ(trap_of("wasi:io/poll", "[method]pollable.block", {borrow(after(3600'000'000'000))}), "interrupted");
}

TEST_F(WasiP2Io, PollWaitsForTheEarliestOfMany) {
  Pipe p;
  WasiConfig c;
  c.stdin_fd = p.r;
  start(c);
  Value s = call1("wasi:cli/stdin", "get-stdin");
  Value late = after(10'000'000'000), soon = after(50'000'000), input = subscribe_in(s);
  auto t0 = Clock::now();
  EXPECT_EQ(poll({late, input, soon}), std::vector<uint64_t>{2});
  auto waited = Clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(45));
  EXPECT_LT(waited, std::chrono::seconds(5));
  // Data arriving from another thread wakes the poll.
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(::write(p.w, "x", 1), 1);
  });
  t0 = Clock::now();
  EXPECT_EQ(poll({late, input}), std::vector<uint64_t>{1});
  writer.join();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
  // Everything ready is reported, in list order; the same pollable twice too.
  EXPECT_EQ(poll({soon, late, input, soon}), (std::vector<uint64_t>{0, 2, 3}));
  // An instant already past is ready at once.
  Value past = call1("wasi:clocks/monotonic-clock", "subscribe-instant", {u64(0)});
  EXPECT_TRUE(ready(past));
  EXPECT_FALSE(ready(late));
  EXPECT_FALSE(trap_of("wasi:io/poll", "poll", {Value::list({})}).empty());  // an empty list traps
}

TEST_F(WasiP2Io, BlockingCallsLimitTheirSize) {
  std::string o;
  WasiConfig c;
  c.stdout_sink = [&](std::string_view b) { return o.append(b), true; };
  start(c);
  Value s = call1("wasi:cli/stdout", "get-stdout");
  EXPECT_FALSE(trap_of("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
                       {borrow(s), bytes(std::string(4097, 'x'))})
                   .empty());
  EXPECT_FALSE(trap_of("wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush",
                       {borrow(s), u64(4097)})
                   .empty());
  EXPECT_FALSE(out("blocking-write-zeroes-and-flush", {borrow(s), u64(3)}).is_err);
  EXPECT_EQ(o, std::string(3, '\0'));
}

TEST_F(WasiP2Io, SpliceCopiesBetweenStreams) {
  fs::path dir = fresh_dir("splice");
  write_file(dir / "src", "spliced bytes");
  std::string o;
  WasiConfig c;
  c.preopens.push_back({dir.string(), "/", false});
  c.stdout_sink = [&](std::string_view b) { return o.append(b), true; };
  start(c);
  Value root = preopen();
  Value f = ok(fs("open-at", {borrow(root), flags({}), str("src"), flags({}), flags({"read"})}));
  Value src = ok(fs("read-via-stream", {borrow(f), u64(0)}));
  Value dst = call1("wasi:cli/stdout", "get-stdout");
  EXPECT_EQ(ok(out("splice", {borrow(dst), borrow(src), u64(7)})).u, 7u);
  EXPECT_EQ(ok(out("blocking-splice", {borrow(dst), borrow(src), u64(100)})).u, 6u);
  EXPECT_EQ(o, "spliced bytes");
  EXPECT_EQ(out("splice", {borrow(dst), borrow(src), u64(100)}).payload()->label, "closed");
  // Copying into a file stream.
  Value g = ok(fs("open-at", {borrow(root), flags({}), str("dst"), flags({"create"}), flags({"write"})}));
  Value to = ok(fs("write-via-stream", {borrow(g), u64(0)}));
  Value from = ok(fs("read-via-stream", {borrow(f), u64(8)}));
  EXPECT_EQ(ok(out("blocking-splice", {borrow(to), borrow(from), u64(100)})).u, 5u);
  EXPECT_EQ(read_file(dir / "dst"), "bytes");
}

}  // namespace
}  // namespace whirl::wasi::p2::testing
