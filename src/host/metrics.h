// Per-app request metrics of the node host and their Prometheus text
// exposition (`whirl host --metrics-listen`): requests by status class,
// requests in flight, a latency histogram, app loads. Counters are atomics
// updated on the request path (no lock); a scrape reads them as they are.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "spin/http/message.h"

namespace whirl::host {

struct AppMetrics {
  // Upper bounds of the latency buckets, in seconds (the last is +Inf).
  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5};
  std::array<std::atomic<uint64_t>, 5> by_class{};  // 1xx .. 5xx
  std::atomic<uint64_t> in_flight{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency{};  // per bucket (not cumulative)
  std::atomic<uint64_t> latency_sum_us{0};
  std::atomic<uint64_t> cold_starts{0};  // requests that found the app unloaded and loaded it

  void record(unsigned status, std::chrono::steady_clock::duration took);
  uint64_t requests() const;
};

// A ResponseWriter passing everything to `inner`, counting the request in
// `m` (in flight from construction; its status and time when the handler
// finishes or aborts it, before the client can see the end, or at
// destruction if the handler did neither: then a 500).
class StatusRecorder final : public spin::http::ResponseWriter {
 public:
  StatusRecorder(spin::http::ResponseWriter& inner, AppMetrics& m)
      : inner_(inner), m_(m), t0_(std::chrono::steady_clock::now()) {
    m_.in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  ~StatusRecorder() override { done(); }
  bool start(unsigned status, std::vector<spin::http::Header> headers) override {
    bool ok = inner_.start(status, std::move(headers));
    if (ok) status_ = status;
    return ok;
  }
  bool write(std::string_view bytes) override { return inner_.write(bytes); }
  void finish() override {
    done();
    inner_.finish();
  }
  void set_trailers(std::vector<spin::http::Header> t) override { inner_.set_trailers(std::move(t)); }
  void abort() override {
    if (!inner_.started()) status_ = 500;
    done();
    inner_.abort();
  }
  bool started() const override { return inner_.started(); }
  void cancel() override { inner_.cancel(); }
  bool cancelled() const override { return inner_.cancelled(); }
  void on_cancel(std::function<void()> hook) override { inner_.on_cancel(std::move(hook)); }

 private:
  void done() {
    if (recorded_) return;
    recorded_ = true;
    m_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    m_.record(status_, std::chrono::steady_clock::now() - t0_);
  }
  spin::http::ResponseWriter& inner_;
  AppMetrics& m_;
  std::chrono::steady_clock::time_point t0_;
  unsigned status_ = 500;
  bool recorded_ = false;
};

// The host's own figures.
struct HostCounts {
  size_t apps = 0;          // apps registered now
  uint64_t app_loads = 0;   // apps registered (added, or their manifest changed)
  size_t loaded = 0;        // apps loaded now (held by the host or by requests)
  uint64_t evictions = 0;   // apps unloaded to stay within --max-loaded-apps
  size_t code_modules = 0, code_components = 0;  // compiled copies alive (shared by content)
  uint64_t code_shared = 0;  // loads served by a compiled copy already there
  size_t snapshots_ready = 0, snapshots_failed = 0, snapshots_queued = 0;  // --snapshot's, per distinct module
};

struct AppMetricsView {
  std::string app;
  const AppMetrics* metrics;
  uint64_t memory_bytes = 0;  // linear memory and tables its requests hold now
};

// The Prometheus text format (version 0.0.4) of every app's metrics plus
// the host's own: whirl_host_apps, whirl_host_app_loads_total,
// whirl_app_requests_total{app,code}, whirl_app_requests_in_flight{app},
// whirl_app_request_duration_seconds{app} (a histogram),
// whirl_host_apps_loaded, whirl_app_cold_starts_total{app},
// whirl_app_memory_bytes{app},
// whirl_host_app_evictions_total, whirl_host_snapshots{state}, whirl_host_code{kind} and
// whirl_host_code_shared_total.
std::string prometheus_text(const std::vector<AppMetricsView>& apps, const HostCounts& host);

}  // namespace whirl::host
