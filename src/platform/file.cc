#include "platform/file.h"

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

}  // namespace whirl::platform
