// Work split across a few threads for the loader: independent items
// (function bodies to validate or compile) taken in chunks from a shared
// counter, so uneven item sizes still balance.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace whirl::platform {

// How many threads parallel_for uses for `items` items: one when there is
// too little work to pay for a thread (or one core), else up to the
// machine's cores, at most 4.
inline unsigned loader_threads(size_t items, size_t min_items_per_thread = 2000) {
  // Asked once: glibc reads /sys for it on every call.
  static const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  size_t by_work = items / min_items_per_thread;
  return unsigned(std::clamp<size_t>(by_work, 1, std::min(cores, 4u)));
}

// Calls fn(begin, end, worker) over [0, n) in chunks of `grain`, on
// `threads` threads (the caller's among them); worker is 0..threads-1, so
// each can keep its own scratch state.
template <class Fn>
void parallel_for(size_t n, size_t grain, unsigned threads, Fn&& fn) {
  if (threads <= 1 || n <= grain) {
    if (n) fn(size_t(0), n, 0u);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&](unsigned worker) {
    for (;;) {
      size_t b = next.fetch_add(grain, std::memory_order_relaxed);
      if (b >= n) return;
      fn(b, std::min(n, b + grain), worker);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
}

}  // namespace whirl::platform
