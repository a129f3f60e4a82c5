// `files` globbing for components.
#include <algorithm>

#include "spin/app/app.h"

namespace whirl::spin {
namespace {

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    std::string_view part = s.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// One segment: `*`, `?`, `[...]` (with `!` or `^` negation), literals.
bool match_segment(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    bool ok = false;
    size_t next = pi + 1;
    if (pi < p.size() && p[pi] == '?') {
      ok = true;
    } else if (pi < p.size() && p[pi] == '[') {
      size_t close = p.find(']', pi + 2);
      if (close != std::string_view::npos) {
        std::string_view set = p.substr(pi + 1, close - pi - 1);
        bool neg = !set.empty() && (set[0] == '!' || set[0] == '^');
        if (neg) set.remove_prefix(1);
        bool in = false;
        for (size_t k = 0; k < set.size(); ++k) {
          if (k + 2 < set.size() && set[k + 1] == '-') {
            if (s[si] >= set[k] && s[si] <= set[k + 2]) in = true;
            k += 2;
          } else if (set[k] == s[si]) {
            in = true;
          }
        }
        ok = in != neg;
        next = close + 1;
      } else {
        ok = s[si] == '[';
      }
    } else if (pi < p.size()) {
      ok = p[pi] == s[si];
    }
    if (ok) {
      pi = next;
      ++si;
    } else if (star_p != std::string_view::npos) {
      pi = star_p + 1;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool match_parts(const std::vector<std::string_view>& p, size_t pi, const std::vector<std::string_view>& s,
                 size_t si) {
  if (pi == p.size()) return si == s.size();
  if (p[pi] == "**") {
    for (size_t k = si; k <= s.size(); ++k)
      if (match_parts(p, pi + 1, s, k)) return true;
    return false;
  }
  if (si == s.size() || !match_segment(p[pi], s[si])) return false;
  return match_parts(p, pi + 1, s, si + 1);
}

bool has_magic(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  return match_parts(split(pattern), 0, split(path), 0);
}

bool resolves_within(const std::filesystem::path& root, const std::filesystem::path& path) {
  std::error_code ec;
  auto r = std::filesystem::canonical(root, ec);
  if (ec) return false;
  auto p = std::filesystem::canonical(path, ec);
  if (ec) return false;
  return std::mismatch(r.begin(), r.end(), p.begin(), p.end()).first == r.end();
}

std::vector<std::string> glob_files(const std::filesystem::path& root, std::string_view pattern) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  // Walk only below the pattern's literal leading directories.
  auto parts = split(pattern);
  std::string prefix;
  size_t literal = 0;
  while (literal + 1 < parts.size() && !has_magic(parts[literal])) {
    prefix += std::string(parts[literal]) + "/";
    ++literal;
  }
  // A symlink is a match in itself (staged as a symlink, never followed);
  // a symlinked directory on the way (the literal prefix) must stay inside
  // the app, or a pattern would reach files outside it.
  auto is_candidate = [](fs::file_status st) { return fs::is_regular_file(st) || fs::is_symlink(st); };
  std::error_code ec;
  if (!has_magic(pattern)) {
    std::string rel;
    for (size_t i = 0; i < parts.size(); ++i) rel += (i ? "/" : "") + std::string(parts[i]);
    fs::path p = root / rel;
    if (!rel.empty() && is_candidate(fs::symlink_status(p, ec)) && resolves_within(root, p.parent_path()))
      out.push_back(rel);
    return out;
  }
  fs::path start = root / prefix;
  if (!fs::is_directory(start, ec) || !resolves_within(root, start)) return out;
  // The iterator does not follow directory symlinks, so everything it finds is below `start`.
  for (auto it = fs::recursive_directory_iterator(start, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && it->path().filename() == ".spin") {
      it.disable_recursion_pending();
      continue;
    }
    if (!is_candidate(it->symlink_status(ec))) continue;
    std::string rel = it->path().lexically_relative(root).generic_string();
    if (glob_match(pattern, rel)) out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace whirl::spin
