#include "platform/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "platform/vm.h"

namespace whirl::platform {

Expected<FileBytes> read_file(const std::string& path) {
  // A directory opens as a stream whose end is at 2^63: no buffer for that.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return make_error(path + ": cannot read file (it is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path + ": cannot read file");
  FileBytes out;
  in.seekg(0, std::ios::end);  // fails on a pipe: read it as a stream below
  if (const std::streamoff size = in.tellg(); size >= 0) {
    // Zero-filling 20 MB first, then faulting it in page by page, cost more
    // than decoding it.
    std::shared_ptr<uint8_t[]> buf(new uint8_t[size_t(size)]);
    vm_prefault(buf.get(), size_t(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(buf.get()), size)) return make_error(path + ": cannot read file");
    out.bytes = {buf.get(), size_t(size)};
    out.owner = std::move(buf);
  } else {
    in.clear();
    std::stringstream ss;
    ss << in.rdbuf();
    auto data = std::make_shared<const std::string>(ss.str());
    out.bytes = {reinterpret_cast<const uint8_t*>(data->data()), data->size()};
    out.owner = std::move(data);
  }
  return out;
}

Expected<FileBytes> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path + ": cannot read file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(path + ": cannot read file (not a regular file)");
  }
  FileBytes out;
  if (st.st_size == 0) {
    ::close(fd);
    return out;
  }
  const size_t size = size_t(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return make_error(path + ": cannot map file: " + std::strerror(errno));
  out.bytes = {static_cast<const uint8_t*>(p), size};
  out.owner = std::shared_ptr<const void>(p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
  return out;
}

}  // namespace whirl::platform
