// Where component output and request errors go. The default writes each
// component's output to the console and to `<dir>/<component>_<stream>.txt`
// (Spin's `.spin/logs` layout); tests use a memory sink.
#pragma once

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace whirl::spin::http {

class LogSink {
 public:
  virtual ~LogSink() = default;
  // `stream` is "stdout" or "stderr".
  virtual void component_output(std::string_view component, std::string_view stream, std::string_view bytes) = 0;
  // A request failed (trap, bad CGI output, timeout): one line, no newline.
  virtual void error(std::string_view message) = 0;
};

class FileLogSink : public LogSink {
 public:
  // `dir` empty: console only. `console` null: files only.
  FileLogSink(std::filesystem::path dir, FILE* console);
  ~FileLogSink() override;
  void component_output(std::string_view component, std::string_view stream, std::string_view bytes) override;
  void error(std::string_view message) override;

 private:
  std::filesystem::path dir_;
  FILE* console_;
  std::mutex mu_;
  std::map<std::string, FILE*> files_;
};

}  // namespace whirl::spin::http
