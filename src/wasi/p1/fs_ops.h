// The host side of a WASI sandbox, shared by preview1 and preview2: every
// path is resolved strictly beneath a directory descriptor
// (platform::open_beneath), so nothing outside the preopens is reachable.
// Each operation returns 0, a host errno, or kEscape when the path would
// leave its directory (an absolute path, ".." above it, a symlink out);
// each WASI version maps those to its own error codes.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <functional>
#include <string>

namespace whirl::wasm {
class Store;
}

namespace whirl::wasi::fsops {

constexpr int kEscape = -1;

// Opens `path` beneath `dirfd` with open(2) `flags` (O_CLOEXEC added);
// `follow`: follow a symlink in the last component (still confined).
int open_at(int dirfd, const std::string& path, int flags, int mode, bool follow, int* fd);
int stat_at(int dirfd, const std::string& path, bool follow, struct stat* st);
int mkdir_at(int dirfd, const std::string& path);
int rmdir_at(int dirfd, const std::string& path);
int unlink_at(int dirfd, const std::string& path);  // a trailing '/' is ENOTDIR
int rename_at(int old_dirfd, const std::string& old_path, int new_dirfd, const std::string& new_path);
int link_at(int old_dirfd, const std::string& old_path, int new_dirfd, const std::string& new_path);
// The target text is stored as given, except that an absolute one is
// refused; following it later is confined like any other path.
int symlink_at(const std::string& target, int dirfd, const std::string& path);
int readlink_at(int dirfd, const std::string& path, std::string* target);
// times: {atime, mtime}, UTIME_NOW / UTIME_OMIT allowed.
int utimens_at(int dirfd, const std::string& path, bool follow, const struct timespec times[2]);

// Calls `fn` for each entry of the directory `dirfd` ("." and ".." too) in
// readdir order until it returns false; `dirfd` itself is left as it was.
int for_each_entry(int dirfd, const std::function<bool(const struct dirent&)>& fn);

// A pipe, terminal or socket can block a read or write indefinitely: wait
// for it in slices, so an interrupt of the store (time limit, shutdown)
// still ends the call. False if interrupted first; true when ready or when
// poll(2) fails (the read or write then reports the error).
bool wait_ready(wasm::Store& store, int fd, bool write);

}  // namespace whirl::wasi::fsops
