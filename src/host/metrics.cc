#include "host/metrics.h"

#include <cstdio>

namespace whirl::host {

void AppMetrics::record(unsigned status, std::chrono::steady_clock::duration took) {
  const unsigned cls = status >= 100 && status < 600 ? status / 100 - 1 : 4;
  by_class[cls].fetch_add(1, std::memory_order_relaxed);
  const double s = std::chrono::duration<double>(took).count();
  size_t b = 0;
  while (b < kBuckets.size() && s > kBuckets[b]) ++b;
  latency[b].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(took).count()),
                           std::memory_order_relaxed);
}

uint64_t AppMetrics::requests() const {
  uint64_t n = 0;
  for (const auto& c : by_class) n += c.load(std::memory_order_relaxed);
  return n;
}

namespace {
// App names are DNS labels: nothing in them needs escaping in a label value.
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}
}  // namespace

std::string prometheus_text(const std::vector<AppMetricsView>& apps, const HostCounts& host) {
  std::string o;
  o += "# HELP whirl_host_apps Apps registered with the host.\n# TYPE whirl_host_apps gauge\n";
  o += "whirl_host_apps " + std::to_string(apps.size()) + "\n";
  o += "# HELP whirl_host_apps_loaded Apps loaded now (the others load at their next request).\n"
       "# TYPE whirl_host_apps_loaded gauge\n";
  o += "whirl_host_apps_loaded " + std::to_string(host.loaded) + "\n";
  o += "# HELP whirl_app_cold_starts_total Requests that loaded their app first.\n"
       "# TYPE whirl_app_cold_starts_total counter\n";
  for (const auto& a : apps)
    o += "whirl_app_cold_starts_total{app=\"" + a.app + "\"} " + std::to_string(a.metrics->cold_starts.load()) + "\n";
  o += "# HELP whirl_app_memory_bytes Linear memory and tables its requests hold now.\n"
       "# TYPE whirl_app_memory_bytes gauge\n";
  for (const auto& a : apps)
    o += "whirl_app_memory_bytes{app=\"" + a.app + "\"} " + std::to_string(a.memory_bytes) + "\n";
  o += "# HELP whirl_host_app_loads_total Apps registered (added, or their manifest changed).\n# TYPE whirl_host_app_loads_total counter\n";
  o += "whirl_host_app_loads_total " + std::to_string(host.app_loads) + "\n";
  o += "# HELP whirl_host_app_evictions_total Apps unloaded to stay within the cap on loaded apps.\n"
       "# TYPE whirl_host_app_evictions_total counter\n";
  o += "whirl_host_app_evictions_total " + std::to_string(host.evictions) + "\n";
  o += "# HELP whirl_host_snapshots Modules pre-initialized at registration (--snapshot), by state.\n"
       "# TYPE whirl_host_snapshots gauge\n";
  o += "whirl_host_snapshots{state=\"ready\"} " + std::to_string(host.snapshots_ready) + "\n";
  o += "whirl_host_snapshots{state=\"failed\"} " + std::to_string(host.snapshots_failed) + "\n";
  o += "whirl_host_snapshots{state=\"queued\"} " + std::to_string(host.snapshots_queued) + "\n";
  o += "# HELP whirl_host_code Compiled code in memory, one copy per distinct binary.\n# TYPE whirl_host_code gauge\n";
  o += "whirl_host_code{kind=\"module\"} " + std::to_string(host.code_modules) + "\n";
  o += "whirl_host_code{kind=\"component\"} " + std::to_string(host.code_components) + "\n";
  o += "# HELP whirl_host_code_shared_total App loads that found their code compiled already.\n"
       "# TYPE whirl_host_code_shared_total counter\n";
  o += "whirl_host_code_shared_total " + std::to_string(host.code_shared) + "\n";
  o += "# HELP whirl_app_requests_total Requests answered, by status class.\n# TYPE whirl_app_requests_total counter\n";
  for (const auto& a : apps)
    for (size_t c = 0; c < a.metrics->by_class.size(); ++c)
      o += "whirl_app_requests_total{app=\"" + a.app + "\",code=\"" + std::to_string(c + 1) + "xx\"} " +
           std::to_string(a.metrics->by_class[c].load()) + "\n";
  o += "# HELP whirl_app_requests_in_flight Requests being handled.\n# TYPE whirl_app_requests_in_flight gauge\n";
  for (const auto& a : apps)
    o += "whirl_app_requests_in_flight{app=\"" + a.app + "\"} " + std::to_string(a.metrics->in_flight.load()) + "\n";
  o += "# HELP whirl_app_request_duration_seconds Time to answer a request.\n"
       "# TYPE whirl_app_request_duration_seconds histogram\n";
  for (const auto& a : apps) {
    uint64_t cum = 0;
    const auto& m = *a.metrics;
    for (size_t b = 0; b < m.latency.size(); ++b) {
      cum += m.latency[b].load();
      std::string le = b < AppMetrics::kBuckets.size() ? num(AppMetrics::kBuckets[b]) : "+Inf";
      o += "whirl_app_request_duration_seconds_bucket{app=\"" + a.app + "\",le=\"" + le + "\"} " +
           std::to_string(cum) + "\n";
    }
    o += "whirl_app_request_duration_seconds_sum{app=\"" + a.app + "\"} " + num(double(m.latency_sum_us.load()) / 1e6) +
         "\n";
    o += "whirl_app_request_duration_seconds_count{app=\"" + a.app + "\"} " + std::to_string(cum) + "\n";
  }
  return o;
}

}  // namespace whirl::host
