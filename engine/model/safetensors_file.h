// One memory-mapped *.safetensors file: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the tensor bytes (https://github.com/huggingface/safetensors).
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "model/model_weights.h"

namespace stride {

class SafetensorsFile {
 public:
  // Maps `path` and validates the header; throws stride::Error naming the file (and the tensor).
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  // nullptr when the file has no such tensor.
  const TensorView* find(const std::string& name) const;

 private:
  void parse_header();

  std::string path_;
  const unsigned char* map_ = nullptr;
  size_t size_ = 0;
  std::map<std::string, TensorView> tensors_;
};

}  // namespace stride
