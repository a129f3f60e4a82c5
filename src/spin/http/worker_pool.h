// The request workers. Each task runs an untrusted guest that may hold its
// thread until its timeout, so the pool schedules by key (the component a
// request routes to):
// - at most `per_key_running` tasks of one key run at once; the rest wait
//   in the queue without holding a thread;
// - a free worker takes the eligible task whose key has the fewest running,
//   then the oldest, so a flooding key cannot starve the others;
// - when eligible tasks wait and no worker is free, a thread is added after
//   `patience` (up to `max_threads`), and at once for a key with nothing
//   running, even beyond `max_threads` (up to `max_threads + reserve_threads`,
//   and only for such keys): a healthy route keeps answering while a hostile
//   one holds every regular worker;
// - threads beyond `core_threads` leave after `idle_timeout` without work.
// Tasks are handed to a specific idle worker under the lock, so a notified
// worker never counts as free twice (no lost wake-ups).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <unordered_map>
#include <vector>

namespace whirl::spin::http {

struct WorkerPoolOptions {
  unsigned core_threads = 2;                       // kept alive (at least 1)
  unsigned max_threads = 64;                       // ceiling for tasks of keys that already run some
  std::chrono::milliseconds patience{100};         // queue wait before an extra thread is added
  unsigned per_key_running = 0;                    // tasks of one key running at once (0: no cap)
  size_t max_queued = 0;                           // waiting tasks beyond this are rejected (0: no cap)
  unsigned reserve_threads = 8;                    // beyond max_threads, for keys with nothing running
  std::chrono::milliseconds idle_timeout{2000};    // an extra thread without work this long leaves
  // A task running longer than this has its thread's CPU priority lowered
  // (nice `demoted_nice`), so short tasks are scheduled ahead of long
  // CPU-bound ones; the thread is replaced after that task (a thread cannot
  // raise its priority again without privilege). 0: never.
  std::chrono::milliseconds demote_after{0};
  int demoted_nice = 10;
};

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WorkerPool(WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Exactly one of `run` (on a worker thread) and `reject` runs, once.
  // `reject` runs instead when the task is dropped: the queue is full (on
  // the submitting thread, before submit returns) or the pool stops before
  // the task started (on the thread calling stop/join or submit). It must
  // be cheap and must not throw; so must `run` not throw. Either may be empty.
  void submit(std::string key, std::function<void()> run, std::function<void()> reject);

  // Stops accepting and rejects every task that has not started, before
  // returning; running tasks go on. Non-blocking, idempotent.
  void stop();
  // stop(), then waits for running tasks and ends every thread. Idempotent.
  void join();

  unsigned threads() const;                       // worker threads alive
  size_t queued() const;                          // tasks waiting (not started)
  unsigned running(const std::string& key) const; // tasks of `key` started, not finished

 private:
  struct KeyState;
  using KeyEntry = std::pair<const std::string, KeyState>;
  struct Task {
    std::function<void()> run, reject;
    KeyEntry* key = nullptr;
    uint64_t seq = 0;
    Clock::time_point queued;
  };
  struct KeyState {
    unsigned running = 0;  // handed to a worker, not finished
    std::deque<Task> waiting;
  };
  struct Worker {
    std::thread thread;
    std::condition_variable cv;
    std::optional<Task> slot;  // handed over, not yet taken by the thread
    bool extra = false;
    pid_t tid = 0;                        // set by the thread itself
    std::optional<Clock::time_point> running_since;  // a task is running
    bool demoted = false;
  };

  // All with mu_ held.
  KeyEntry* eligible();
  Task take(KeyEntry* k);
  void finished(KeyEntry* k);
  void dispatch();
  bool spawn(bool extra, std::optional<Task> first);
  Worker* pop_idle();
  void drop_idle(Worker* w);

  void work(Worker* w);
  void supervise();
  // Lowers the priority of threads whose task ran past demote_after; the
  // next time one is due. With mu_ held.
  std::optional<Clock::time_point> demote_long_tasks();

  const unsigned core_, max_, ceiling_, cap_;
  const size_t max_queued_;
  const std::chrono::milliseconds patience_, idle_timeout_, demote_after_;
  const int demoted_nice_;

  mutable std::mutex mu_;
  std::condition_variable sup_cv_, ready_cv_;
  std::unordered_map<std::string, KeyState> keys_;  // only keys with running or waiting tasks
  size_t waiting_ = 0;
  unsigned busy_ = 0, threads_ = 0;
  uint64_t next_seq_ = 0;
  unsigned core_replacements_ = 0;                  // demoted core threads that left
  std::optional<Clock::time_point> sup_wakes_at_;   // the supervisor's next timed wake-up
  bool stopping_ = false;
  std::list<Worker> workers_;          // stable addresses; reaped by the supervisor
  std::vector<Worker*> idle_core_, idle_extra_;  // core threads are handed work first
  std::vector<Worker*> dead_;          // exited, thread not yet joined
  std::thread supervisor_;
  std::mutex join_mu_;
};

}  // namespace whirl::spin::http
