#include "spin/http/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace whirl::spin::http {

WorkerPool::WorkerPool(WorkerPoolOptions o)
    : core_(std::max(1u, o.core_threads)),
      max_(std::max(core_, o.max_threads)),
      ceiling_(max_ + o.reserve_threads),
      cap_(o.per_key_running),
      max_queued_(o.max_queued),
      patience_(o.patience),
      idle_timeout_(o.idle_timeout),
      demote_after_(o.demote_after),
      demoted_nice_(o.demoted_nice) {
  std::unique_lock lock(mu_);
  for (unsigned i = 0; i < core_; ++i)
    if (!spawn(false, std::nullopt)) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
  supervisor_ = std::thread([this] { supervise(); });
  // Until the core threads wait for work, a first task would find no idle
  // worker and start an extra thread.
  ready_cv_.wait(lock, [&] { return idle_core_.size() == core_; });
}

WorkerPool::~WorkerPool() { join(); }

// The eligible key whose head task a free worker should take: not at its
// cap; fewest running, then oldest. Past max_ running tasks, only a key with
// nothing running may start one (on a reserve thread).
WorkerPool::KeyEntry* WorkerPool::eligible() {
  KeyEntry* best = nullptr;
  for (auto& e : keys_) {
    const KeyState& k = e.second;
    if (k.waiting.empty() || (cap_ && k.running >= cap_)) continue;
    if (!best || k.running < best->second.running ||
        (k.running == best->second.running && k.waiting.front().seq < best->second.waiting.front().seq))
      best = &e;
  }
  if (best && best->second.running > 0 && busy_ >= max_) return nullptr;
  return best;
}

WorkerPool::Task WorkerPool::take(KeyEntry* k) {
  Task t = std::move(k->second.waiting.front());
  k->second.waiting.pop_front();
  --waiting_;
  ++k->second.running;
  ++busy_;
  return t;
}

void WorkerPool::finished(KeyEntry* k) {
  --busy_;
  if (--k->second.running == 0 && k->second.waiting.empty()) keys_.erase(keys_.find(k->first));
}

WorkerPool::Worker* WorkerPool::pop_idle() {
  for (auto* v : {&idle_core_, &idle_extra_}) {
    if (v->empty()) continue;
    Worker* w = v->back();  // the most recently idle: the others may time out
    v->pop_back();
    return w;
  }
  return nullptr;
}

void WorkerPool::drop_idle(Worker* w) {
  auto& v = w->extra ? idle_extra_ : idle_core_;
  if (auto it = std::find(v.begin(), v.end(), w); it != v.end()) v.erase(it);
}

// Hands eligible tasks to idle workers, then to new threads for keys with
// nothing running; what is left waits for the supervisor's patience.
void WorkerPool::dispatch() {
  if (stopping_) return;
  while (KeyEntry* k = eligible()) {
    if (Worker* w = pop_idle()) {
      w->slot = take(k);
      w->cv.notify_one();
      continue;
    }
    if (k->second.running == 0 && threads_ < ceiling_ && spawn(true, take(k))) continue;
    sup_cv_.notify_one();
    return;
  }
}

bool WorkerPool::spawn(bool extra, std::optional<Task> first) {
  Worker& w = workers_.emplace_back();
  w.extra = extra;
  w.slot = std::move(first);
  try {
    w.thread = std::thread([this, p = &w] { work(p); });
  } catch (const std::system_error&) {
    // Out of threads: the task goes back to the head of its key's queue.
    if (w.slot) {
      KeyEntry* k = w.slot->key;
      k->second.waiting.push_front(std::move(*w.slot));
      ++waiting_;
      --k->second.running;
      --busy_;
    }
    workers_.pop_back();
    return false;
  }
  ++threads_;
  return true;
}

void WorkerPool::submit(std::string key, std::function<void()> run, std::function<void()> reject) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    if (reject) reject();
    return;
  }
  KeyEntry& e = *keys_.try_emplace(std::move(key)).first;
  uint64_t seq = next_seq_++;
  e.second.waiting.push_back(Task{std::move(run), std::move(reject), &e, seq, Clock::now()});
  ++waiting_;
  dispatch();
  // Over the limit and not started: this task is the one dropped.
  auto& q = e.second.waiting;
  if (max_queued_ && waiting_ > max_queued_ && !q.empty() && q.back().seq == seq) {
    Task t = std::move(q.back());
    q.pop_back();
    --waiting_;
    if (q.empty() && e.second.running == 0) keys_.erase(keys_.find(e.first));
    lock.unlock();
    if (t.reject) t.reject();
  }
}

void WorkerPool::work(Worker* w) {
  std::unique_lock lock(mu_);
  w->tid = gettid();
  while (!w->demoted) {
    if (!w->slot && !stopping_) {
      // Work may have queued while this thread ran a task or was starting:
      // it takes that itself rather than wake another worker for it.
      if (KeyEntry* k = eligible()) {
        w->slot = take(k);
        dispatch();
      }
    }
    if (!w->slot) {
      if (stopping_) break;
      (w->extra ? idle_extra_ : idle_core_).push_back(w);
      if (!w->extra && idle_core_.size() == core_) ready_cv_.notify_all();
      auto ready = [&] { return w->slot.has_value() || stopping_; };
      if (w->extra)
        w->cv.wait_for(lock, idle_timeout_, ready);
      else
        w->cv.wait(lock, ready);
      if (!w->slot) {  // stopping, or idle too long
        drop_idle(w);
        break;
      }
    }
    KeyEntry* k;
    {
      Task t = std::move(*w->slot);
      w->slot.reset();
      k = t.key;
      if (demote_after_.count()) {
        w->running_since = Clock::now();
        if (!sup_wakes_at_ || *sup_wakes_at_ > *w->running_since + demote_after_) sup_cv_.notify_one();
      }
      lock.unlock();
      if (t.run) t.run();
    }  // the task's captures are released outside the lock
    lock.lock();
    w->running_since.reset();
    finished(k);
  }
  // A demoted core thread is replaced by the supervisor: a thread spawned
  // here would inherit the lowered priority.
  if (w->demoted && !w->extra && !stopping_) ++core_replacements_;
  --threads_;
  dead_.push_back(w);
  sup_cv_.notify_one();
}

// Adds a thread when an eligible task has waited `patience` with no worker
// free, and joins threads that left.
void WorkerPool::supervise() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    sup_wakes_at_.reset();
    for (; core_replacements_ > 0; --core_replacements_) spawn(false, std::nullopt);
    if (!dead_.empty()) {
      std::vector<std::thread> done;
      for (Worker* w : dead_) {
        done.push_back(std::move(w->thread));
        workers_.remove_if([w](const Worker& x) { return &x == w; });
      }
      dead_.clear();
      lock.unlock();
      for (auto& t : done) t.join();
      lock.lock();
      continue;
    }
    std::optional<Clock::time_point> oldest;
    if (threads_ < max_ && idle_core_.empty() && idle_extra_.empty()) {
      for (auto& [name, k] : keys_)
        if (!k.waiting.empty() && (!cap_ || k.running < cap_))
          if (!oldest || k.waiting.front().queued < *oldest) oldest = k.waiting.front().queued;
    }
    auto demote_due = demote_long_tasks();
    auto wait = [&](std::optional<Clock::time_point> until) {
      sup_wakes_at_ = until;
      if (until) sup_cv_.wait_until(lock, *until);
      else sup_cv_.wait(lock);
    };
    if (!oldest) {
      wait(demote_due);
      continue;
    }
    auto due = *oldest + patience_;
    if (Clock::now() < due) {
      wait(demote_due ? std::min(due, *demote_due) : due);
      continue;
    }
    KeyEntry* k = eligible();
    if (k && !spawn(true, take(k))) sup_cv_.wait_for(lock, std::max(patience_, std::chrono::milliseconds(10)));
  }
}

std::optional<WorkerPool::Clock::time_point> WorkerPool::demote_long_tasks() {
  if (!demote_after_.count()) return std::nullopt;
  std::optional<Clock::time_point> next;
  auto now = Clock::now();
  for (auto& w : workers_) {
    if (!w.running_since || w.demoted) continue;
    auto due = *w.running_since + demote_after_;
    if (due <= now) {
      // Raising a nice value needs no privilege; the thread is replaced after its task.
      w.demoted = setpriority(PRIO_PROCESS, id_t(w.tid), demoted_nice_) == 0;
    } else if (!next || due < *next) {
      next = due;
    }
  }
  return next;
}

void WorkerPool::stop() {
  std::vector<Task> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, k] : keys_) {
      for (auto& t : k.waiting) dropped.push_back(std::move(t));
      k.waiting.clear();
    }
    waiting_ = 0;
    // Handed to a worker that has not taken it yet: not started either.
    for (auto& w : workers_) {
      if (!w.slot) continue;
      KeyEntry* k = w.slot->key;
      dropped.push_back(std::move(*w.slot));
      w.slot.reset();
      --busy_;
      --k->second.running;
    }
    std::erase_if(keys_, [](const auto& e) { return e.second.running == 0; });
    for (auto& w : workers_) w.cv.notify_all();
    sup_cv_.notify_all();
  }
  std::sort(dropped.begin(), dropped.end(), [](const Task& a, const Task& b) { return a.seq < b.seq; });
  for (auto& t : dropped)
    if (t.reject) t.reject();
}

void WorkerPool::join() {
  std::lock_guard joining(join_mu_);
  stop();
  if (supervisor_.joinable()) supervisor_.join();
  // No thread is spawned once stopping: every worker is in workers_.
  std::vector<std::thread> all;
  {
    std::lock_guard lock(mu_);
    for (auto& w : workers_)
      if (w.thread.joinable()) all.push_back(std::move(w.thread));
  }
  for (auto& t : all) t.join();
  std::lock_guard lock(mu_);
  workers_.clear();
  dead_.clear();
  idle_core_.clear();
  idle_extra_.clear();
}

unsigned WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

unsigned WorkerPool::running(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? 0 : it->second.running;
}

}  // namespace whirl::spin::http
