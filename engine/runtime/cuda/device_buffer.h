// Owning CUDA allocations and events (RAII): a constructor that throws halfway frees what it had taken.
#pragma once

#include <cstddef>
#include <utility>

#include "runtime/cuda/cuda_check.h"

namespace stride::cuda {

// An owning CUDA allocation (RAII) of the kind Kind names: device memory (DeviceBuffer) or
// page-locked host memory (PinnedBuffer), one implementation for both.
template <typename Kind>
class CudaAllocation {
 public:
  CudaAllocation() = default;
  explicit CudaAllocation(size_t bytes, const char* what = Kind::kName) { allocate(bytes, what); }
  ~CudaAllocation() { release(); }
  CudaAllocation(CudaAllocation&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  CudaAllocation& operator=(CudaAllocation&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  CudaAllocation(const CudaAllocation&) = delete;
  CudaAllocation& operator=(const CudaAllocation&) = delete;

  void allocate(size_t bytes, const char* what = Kind::kName) {
    release();
    if (bytes == 0) return;
    cuda_check(Kind::allocate(&ptr_, bytes), what);
    bytes_ = bytes;
  }
  // Grows (never shrinks) to at least `bytes`; contents are not kept. True when it moved (so
  // whatever captured the old address, a CUDA graph say, must be rebuilt).
  bool reserve(size_t bytes, const char* what = Kind::kName) {
    if (bytes <= bytes_) return false;
    allocate(bytes, what);
    return true;
  }
  void release() {
    if (ptr_) Kind::free(ptr_);
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

struct DeviceMemory {
  static constexpr const char* kName = "cudaMalloc";
  static cudaError_t allocate(void** p, size_t bytes) { return cudaMalloc(p, bytes); }
  static void free(void* p) { cudaFree(p); }
};
// Page-locked host memory for a step's small uploads and downloads: a copy from pageable memory
// goes through a driver staging copy (a download also waits for it), a pinned one is one DMA. The
// copy runs later on the stream, so the host must not rewrite the buffer before it has (see
// CudaBackend's upload events).
struct PinnedHostMemory {
  static constexpr const char* kName = "cudaMallocHost";
  static cudaError_t allocate(void** p, size_t bytes) { return cudaMallocHost(p, bytes); }
  static void free(void* p) { cudaFreeHost(p); }
};

using DeviceBuffer = CudaAllocation<DeviceMemory>;
using PinnedBuffer = CudaAllocation<PinnedHostMemory>;

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
