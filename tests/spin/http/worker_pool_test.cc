// The request worker pool: growth without lost wake-ups, per-key caps,
// fairness between keys, queue limits and stopping.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "spin/http/worker_pool.h"

namespace whirl::spin::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Holds tasks until opened; the wait is bounded so a broken pool fails a
// test instead of hanging it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Opens the gate when the test ends, before the pool (declared earlier)
// joins its blocked tasks.
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.open(); }
};

class Counter {
 public:
  void add() {
    {
      std::lock_guard lock(mu_);
      ++n_;
    }
    cv_.notify_all();
  }
  int get() {
    std::lock_guard lock(mu_);
    return n_;
  }
  bool reach(int want, std::chrono::milliseconds bound = 2000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return n_ >= want; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

// The pool's thread count has no notification: poll it, bounded.
bool threads_become(WorkerPool& pool, unsigned want, std::chrono::milliseconds bound = 2000ms) {
  auto end = Clock::now() + bound;
  while (pool.threads() != want) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(WorkerPool, BurstOfBlockingTasksAllStart) {
  // More blocking tasks of one key than core threads, submitted back to
  // back: each must get a thread after the patience, not wait for the
  // others to finish.
  Gate gate;
  Counter started, done, rejected;
  WorkerPool pool({.core_threads = 2, .max_threads = 16, .patience = 20ms, .reserve_threads = 0});
  OpenOnExit guard{gate};
  for (int i = 0; i < 12; ++i)
    pool.submit("a", [&] { started.add(); gate.wait(); done.add(); }, [&] { rejected.add(); });
  ASSERT_TRUE(started.reach(12, 1500ms)) << started.get() << " of 12 started";
  EXPECT_EQ(pool.threads(), 12u);
  gate.open();
  ASSERT_TRUE(done.reach(12));
  EXPECT_EQ(rejected.get(), 0);
}

TEST(WorkerPool, PerKeyCapHoldsNoThread) {
  Gate gate;
  Counter a_started, b_started, done;
  std::atomic<int> a_now{0}, a_peak{0};
  WorkerPool pool({.core_threads = 4, .max_threads = 8, .patience = 10ms, .per_key_running = 2, .reserve_threads = 0});
  OpenOnExit guard{gate};
  for (int i = 0; i < 10; ++i)
    pool.submit("a", [&] {
      int n = ++a_now;
      int peak = a_peak.load();
      while (n > peak && !a_peak.compare_exchange_weak(peak, n)) {}
      a_started.add();
      gate.wait();
      --a_now;
      done.add();
    }, {});
  ASSERT_TRUE(a_started.reach(2));
  // The capped tasks wait without threads: another key starts at once on
  // an idle core thread, and no thread is added for them.
  pool.submit("b", [&] { b_started.add(); done.add(); }, {});
  ASSERT_TRUE(b_started.reach(1, 500ms));
  EXPECT_EQ(a_started.get(), 2);
  EXPECT_EQ(pool.running("a"), 2u);
  EXPECT_EQ(pool.queued(), 8u);
  EXPECT_EQ(pool.threads(), 4u);
  // Each finish lets the next of the key start.
  gate.open();
  ASSERT_TRUE(done.reach(11));
  EXPECT_EQ(a_peak.load(), 2);
}

TEST(WorkerPool, FloodedKeyDoesNotStarveAnother) {
  Gate gate;
  Counter flood_started, flood_done, healthy;
  WorkerPool pool({.core_threads = 2, .max_threads = 8, .patience = 20ms, .reserve_threads = 2});
  OpenOnExit guard{gate};
  for (int i = 0; i < 100; ++i)
    pool.submit("flood", [&] { flood_started.add(); gate.wait(); flood_done.add(); }, {});
  ASSERT_TRUE(flood_started.reach(8));
  EXPECT_EQ(pool.threads(), 8u);
  auto t0 = Clock::now();
  pool.submit("healthy", [&] { healthy.add(); }, {});
  ASSERT_TRUE(healthy.reach(1, 500ms)) << "the healthy key waited behind the flood";
  EXPECT_LT(Clock::now() - t0, 500ms);
  // The reserve thread served only the key with nothing running.
  EXPECT_EQ(flood_started.get(), 8);
  EXPECT_EQ(pool.threads(), 9u);
  gate.open();
  ASSERT_TRUE(flood_done.reach(100));
}

TEST(WorkerPool, FreeWorkerPrefersKeyWithFewestRunning) {
  Gate first, second;
  Counter started, done;
  std::mutex mu;
  std::vector<std::string> order;
  auto record = [&](std::string k) {
    return [&, k] {
      {
        std::lock_guard lock(mu);
        order.push_back(k);
      }
      done.add();
    };
  };
  WorkerPool pool({.core_threads = 2, .max_threads = 2, .patience = 10ms, .reserve_threads = 0});
  OpenOnExit g1{first}, g2{second};
  pool.submit("a", [&] { started.add(); first.wait(); }, {});
  pool.submit("a", [&] { started.add(); second.wait(); }, {});
  ASSERT_TRUE(started.reach(2));
  for (int i = 0; i < 3; ++i) pool.submit("a", record("a"), {});
  pool.submit("b", record("b"), {});
  // One worker frees up while "a" still has a task running: "b", queued
  // last, goes first.
  second.open();
  ASSERT_TRUE(done.reach(4));
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<std::string>{"b", "a", "a", "a"}));
}

TEST(WorkerPool, MaxQueuedRejectsOnTheSubmittingThread) {
  Gate gate;
  Counter started, ran;
  std::atomic<int> rejected{0};
  std::thread::id rejected_on;
  WorkerPool pool({.core_threads = 1, .max_threads = 1, .max_queued = 3, .reserve_threads = 0});
  OpenOnExit guard{gate};
  pool.submit("a", [&] { started.add(); gate.wait(); ran.add(); }, [&] { ++rejected; });
  ASSERT_TRUE(started.reach(1));
  for (int i = 0; i < 3; ++i) pool.submit("a", [&] { ran.add(); }, [&] { ++rejected; });
  EXPECT_EQ(rejected.load(), 0);
  EXPECT_EQ(pool.queued(), 3u);
  pool.submit("a", [&] { ran.add(); }, [&] {
    rejected_on = std::this_thread::get_id();
    ++rejected;
  });
  EXPECT_EQ(rejected.load(), 1);
  EXPECT_EQ(rejected_on, std::this_thread::get_id());
  EXPECT_EQ(pool.queued(), 3u);
  gate.open();
  ASSERT_TRUE(ran.reach(4));
  pool.join();
  EXPECT_EQ(ran.get(), 4);
  EXPECT_EQ(rejected.load(), 1);
}

TEST(WorkerPool, StopRejectsQueuedAtOnceAndRunningTasksFinish) {
  Gate gate;
  Counter started, done;
  std::atomic<int> rejected{0}, ran_late{0};
  WorkerPool pool({.core_threads = 2, .max_threads = 2, .reserve_threads = 0});
  OpenOnExit guard{gate};
  for (int i = 0; i < 2; ++i) pool.submit("a", [&] { started.add(); gate.wait(); done.add(); }, [&] { ++rejected; });
  ASSERT_TRUE(started.reach(2));
  for (int i = 0; i < 5; ++i) pool.submit(i % 2 ? "a" : "b", [&] { ++ran_late; }, [&] { ++rejected; });
  pool.stop();
  // Rejected before stop returned, while both running tasks still block.
  EXPECT_EQ(rejected.load(), 5);
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(done.get(), 0);
  pool.submit("a", [&] { ++ran_late; }, [&] { ++rejected; });
  EXPECT_EQ(rejected.load(), 6);
  pool.stop();  // idempotent
  auto joined = std::async(std::launch::async, [&] { pool.join(); });
  EXPECT_EQ(joined.wait_for(50ms), std::future_status::timeout) << "join did not wait for running tasks";
  gate.open();
  ASSERT_EQ(joined.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(done.get(), 2);
  EXPECT_EQ(ran_late.load(), 0);
  EXPECT_EQ(pool.threads(), 0u);
  pool.join();  // idempotent
}

TEST(WorkerPool, RunOrRejectExactlyOnceUnderConcurrentSubmitAndStop) {
  constexpr int kSubmitters = 3, kPerSubmitter = 150, kRounds = 40;
  constexpr unsigned kCeiling = 4 + 2;  // max_threads + reserve_threads
  int ran_total = 0, rejected_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::atomic<int>> hits(kSubmitters * kPerSubmitter);
    std::atomic<bool> stopped{false};
    std::atomic<int> late{0};
    WorkerPool pool({.core_threads = 2, .max_threads = 4, .patience = 1ms, .per_key_running = 2,
                     .max_queued = 50, .reserve_threads = 2});
    std::vector<std::thread> submitters;
    for (int s = 0; s < kSubmitters; ++s)
      submitters.emplace_back([&, s] {
        for (int i = 0; i < kPerSubmitter; ++i) {
          int idx = s * kPerSubmitter + i;
          pool.submit("k" + std::to_string(i % 3), [&, idx] {
            if (stopped) ++late;
            hits[idx] += 1;
          }, [&, idx] { hits[idx] += 1000; });
        }
      });
    // Stop at a different point of the submissions each round.
    std::this_thread::sleep_for(std::chrono::microseconds(round * 40));
    pool.stop();
    stopped = true;
    for (auto& t : submitters) t.join();
    pool.join();
    // Only tasks a worker had already taken may run after stop returned.
    EXPECT_LE(late.load(), static_cast<int>(kCeiling)) << "round " << round;
    for (size_t i = 0; i < hits.size(); ++i) {
      int h = hits[i].load();
      ASSERT_TRUE(h == 1 || h == 1000) << "round " << round << " task " << i << ": " << h;
      (h == 1 ? ran_total : rejected_total)++;
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(ran_total, 0);
  EXPECT_GT(rejected_total, 0);
}

TEST(WorkerPool, IdleExtraThreadsExit) {
  Gate gate;
  Counter started, done;
  WorkerPool pool({.core_threads = 1, .max_threads = 4, .patience = 5ms, .reserve_threads = 0, .idle_timeout = 100ms});
  OpenOnExit guard{gate};
  for (int i = 0; i < 4; ++i) pool.submit("a", [&] { started.add(); gate.wait(); done.add(); }, {});
  ASSERT_TRUE(started.reach(4));
  EXPECT_EQ(pool.threads(), 4u);
  gate.open();
  ASSERT_TRUE(done.reach(4));
  ASSERT_TRUE(threads_become(pool, 1)) << pool.threads() << " threads left";
  // The core thread still serves.
  pool.submit("a", [&] { done.add(); }, {});
  ASSERT_TRUE(done.reach(5));
}

int own_nice() { return getpriority(PRIO_PROCESS, 0); }

// A long task's thread runs on at a lower priority; a short task never
// does, and after the long one a thread at normal priority serves again.
TEST(WorkerPool, LongTasksAreDemotedAndTheirThreadReplaced) {
  // The short task's extra thread leaves after idle_timeout: well within
  // threads_become's bound (at the default 2 s the two raced, and the test
  // failed once in a loaded CI run).
  WorkerPool pool({.core_threads = 1, .max_threads = 2, .patience = 5ms, .idle_timeout = 200ms, .demote_after = 50ms});
  std::promise<std::pair<int, int>> long_nice;
  pool.submit("long", [&] {
    int before = own_nice();
    auto end = std::chrono::steady_clock::now() + 2s;
    while (own_nice() == before && std::chrono::steady_clock::now() < end) {
    }
    long_nice.set_value({before, own_nice()});
  }, {});
  auto f = long_nice.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  auto [before, after] = f.get();
  EXPECT_EQ(after, before + 10);
  std::promise<int> next_nice;
  pool.submit("short", [&] { next_nice.set_value(own_nice()); }, {});
  auto g = next_nice.get_future();
  ASSERT_EQ(g.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(g.get(), before);
  EXPECT_TRUE(threads_become(pool, 1));
}

}  // namespace
}  // namespace whirl::spin::http
