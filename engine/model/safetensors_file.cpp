#include "model/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "stride/engine.h"

namespace stride {
namespace {

size_t dtype_size(DType d) { return d == DType::F32 ? 4 : 2; }

bool parse_dtype(const std::string& s, DType& out) {
  if (s == "F32") out = DType::F32;
  else if (s == "F16") out = DType::F16;
  else if (s == "BF16") out = DType::BF16;
  else return false;
  return true;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(path + ": cannot stat (" + std::strerror(errno) + ")");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    throw Error(path + ": truncated safetensors file (" + std::to_string(size_) + " bytes, no header)");
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) throw Error(path + ": mmap failed (" + std::strerror(errno) + ")");
  map_ = static_cast<const unsigned char*>(p);
  try {
    parse_header();
  } catch (...) {
    ::munmap(const_cast<unsigned char*>(map_), size_);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<unsigned char*>(map_), size_);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

void SafetensorsFile::parse_header() {
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | map_[i];  // little-endian
  if (header_len > size_ - 8)
    throw Error(path_ + ": header length " + std::to_string(header_len) + " runs past the end of the file (" +
                std::to_string(size_) + " bytes)");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(map_ + 8, map_ + 8 + header_len);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path_ + ": invalid JSON header: " + e.what());
  }
  if (!header.is_object()) throw Error(path_ + ": the header is not a JSON object");

  const unsigned char* data = map_ + 8 + header_len;
  const uint64_t data_size = size_ - 8 - header_len;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [begin, end) to detect overlaps
  std::vector<std::string> range_names;

  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    auto bad = [&](const std::string& what) { return Error(path_ + ": tensor '" + name + "': " + what); };
    if (!entry.is_object()) throw bad("header entry is not an object");
    auto dt = entry.find("dtype");
    auto shape = entry.find("shape");
    auto offsets = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) throw bad("missing dtype");
    if (shape == entry.end() || !shape->is_array()) throw bad("missing shape");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
      throw bad("data_offsets must be two non-negative integers");

    TensorView t;
    t.name = name;
    if (!parse_dtype(dt->get<std::string>(), t.dtype))
      throw bad("unsupported dtype " + dt->get<std::string>() + " (BF16, F16 and F32 are)");
    uint64_t numel = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) throw bad("shape entries must be non-negative integers");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > (uint64_t(1) << 40) / dim) throw bad("shape is too large");
      numel *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    const uint64_t begin = (*offsets)[0].get<uint64_t>(), end = (*offsets)[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") out of range (data section is " + std::to_string(data_size) + " bytes)");
    if (end - begin != numel * dtype_size(t.dtype))
      throw bad("data_offsets span " + std::to_string(end - begin) + " bytes but dtype and shape need " +
                std::to_string(numel * dtype_size(t.dtype)));
    t.data = data + begin;
    t.nbytes = static_cast<size_t>(end - begin);
    ranges.emplace_back(begin, end);
    range_names.push_back(name);
    tensors_.emplace(name, std::move(t));
  }

  // Overlapping tensors mean a corrupt (or hostile) header.
  std::vector<size_t> order(ranges.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranges[a] < ranges[b]; });
  for (size_t i = 1; i < order.size(); ++i) {
    const auto& prev = ranges[order[i - 1]];
    const auto& cur = ranges[order[i]];
    if (cur.first < prev.second && cur.second > cur.first && prev.second > prev.first)
      throw Error(path_ + ": tensor '" + range_names[order[i]] + "' overlaps tensor '" +
                  range_names[order[i - 1]] + "' (data_offsets)");
  }
}

}  // namespace stride
