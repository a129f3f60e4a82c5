#include "spin/http/log_sink.h"

namespace whirl::spin::http {

FileLogSink::FileLogSink(std::filesystem::path dir, FILE* console) : dir_(std::move(dir)), console_(console) {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
  }
}

FileLogSink::~FileLogSink() {
  for (auto& [_, f] : files_)
    if (f) std::fclose(f);
}

void FileLogSink::component_output(std::string_view component, std::string_view stream, std::string_view bytes) {
  if (bytes.empty()) return;
  std::lock_guard lock(mu_);
  if (console_) {
    std::fwrite(bytes.data(), 1, bytes.size(), console_);
    std::fflush(console_);
  }
  if (dir_.empty()) return;
  std::string name = std::string(component) + "_" + std::string(stream) + ".txt";
  auto it = files_.find(name);
  if (it == files_.end()) it = files_.emplace(name, std::fopen((dir_ / name).c_str(), "ab")).first;
  if (it->second) {
    std::fwrite(bytes.data(), 1, bytes.size(), it->second);
    std::fflush(it->second);
  }
}

void FileLogSink::error(std::string_view message) {
  std::lock_guard lock(mu_);
  FILE* out = console_ ? console_ : stderr;
  std::fprintf(out, "%.*s\n", int(message.size()), message.data());
  std::fflush(out);
}

}  // namespace whirl::spin::http
