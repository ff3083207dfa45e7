// Owning device allocation (RAII): a constructor that throws halfway frees what it had taken.
#pragma once

#include <cstddef>
#include <utility>

#include "runtime/cuda/cuda_check.h"

namespace stride::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes, const char* what = "cudaMalloc") { allocate(bytes, what); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void allocate(size_t bytes, const char* what = "cudaMalloc") {
    release();
    if (bytes == 0) return;
    cuda_check(cudaMalloc(&ptr_, bytes), what);
    bytes_ = bytes;
  }
  // Grows (never shrinks) to at least `bytes`; contents are not kept. True when it moved (so
  // whatever captured the old address, a CUDA graph say, must be rebuilt).
  bool reserve(size_t bytes, const char* what = "cudaMalloc") {
    if (bytes <= bytes_) return false;
    allocate(bytes, what);
    return true;
  }
  void release() {
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  template <typename T = void>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace stride::cuda
