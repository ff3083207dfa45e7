// Writes *.safetensors files for tests, including deliberately broken ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stride::test {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;             // "F32", "BF16", "F16" (or anything, to test rejection)
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;    // raw little-endian data
};

// bytes of float values as F32 / BF16 (round to nearest even).
std::vector<uint8_t> f32_bytes(const std::vector<float>& values);
std::vector<uint8_t> bf16_bytes(const std::vector<float>& values);

// A well-formed file: header with consecutive data_offsets, then the data.
void write_safetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors);

// A file from parts, for error tests: the 8-byte length `header_len` (normally header.size()),
// the header text, then `data`.
void write_safetensors_raw(const std::string& path, uint64_t header_len, const std::string& header,
                           const std::vector<uint8_t>& data);

}  // namespace stride::test
