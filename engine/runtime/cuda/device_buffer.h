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

namespace stride::cuda {

// Page-locked host memory for a step's small uploads and downloads: a copy from pageable memory
// goes through a driver staging copy (a download also waits for it), a pinned one is one DMA. The
// copy runs later on the stream, so the host must not rewrite the buffer before it has (see
// CudaBackend's upload events).
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  // Grows (never shrinks) to at least `bytes`; contents are not kept.
  void reserve(size_t bytes, const char* what) {
    if (bytes <= bytes_) return;
    release();
    cuda_check(cudaMallocHost(&ptr_, bytes), what);
    bytes_ = bytes;
  }
  void release() {
    if (ptr_) cudaFreeHost(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  template <typename T = void>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A CUDA event (RAII), recorded after an upload from a PinnedBuffer.
class Event {
 public:
  Event() { cuda_check(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(e_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  void record(cudaStream_t s) {
    cuda_check(cudaEventRecord(e_, s), "cudaEventRecord");
    pending_ = true;
  }
  // Returns once the work recorded before it has run (at once when nothing is pending).
  void wait() {
    if (!pending_) return;
    cuda_check(cudaEventSynchronize(e_), "cudaEventSynchronize");
    pending_ = false;
  }

 private:
  cudaEvent_t e_ = nullptr;
  bool pending_ = false;
};

}  // namespace stride::cuda
