#include "runtime/cuda/paged_kv_cache.h"

#include <algorithm>
#include <string>

namespace stride::cuda {

PagedKvCache::PagedKvCache(int layers, int row_width, int capacity)
    : layers_(layers), row_width_(row_width), num_blocks_((capacity + kBlockSize - 1) / kBlockSize) {
  const size_t bytes = size_t(layers) * 2 * size_t(num_blocks_) * kBlockSize * size_t(row_width) * sizeof(bf16);
  pool_.allocate(bytes, "allocation of the KV cache");
  table_dev_.allocate(size_t(num_blocks_) * sizeof(int32_t), "allocation of the KV block table");
  free_.reserve(num_blocks_);
  for (int b = num_blocks_ - 1; b >= 0; --b) free_.push_back(b);  // pops in increasing order
}

void PagedKvCache::ensure(int slots) {
  while (int64_t(table_.size()) * kBlockSize < slots) {
    if (free_.empty()) throw Error("CUDA backend: KV cache has no free block for slot " + std::to_string(slots - 1));
    const size_t i = table_.size();
    table_.push_back(free_.back());
    free_.pop_back();
    if (i >= device_copy_.size() || device_copy_[i] != table_.back()) dirty_ = true;
  }
}

void PagedKvCache::release_beyond(int slots) {
  const size_t keep = (size_t(slots) + kBlockSize - 1) / kBlockSize;
  while (table_.size() > keep) {
    free_.push_back(table_.back());
    table_.pop_back();
  }
}

void PagedKvCache::sync(cudaStream_t s) {
  if (!dirty_ || table_.empty()) return;
  cuda_check(cudaMemcpyAsync(table_dev_.as(), table_.data(), table_.size() * sizeof(int32_t), cudaMemcpyHostToDevice, s),
             "upload of the KV block table");
  cuda_check(cudaStreamSynchronize(s), "upload of the KV block table");  // table_ may change right after
  if (device_copy_.size() < table_.size()) device_copy_.resize(table_.size());
  std::copy(table_.begin(), table_.end(), device_copy_.begin());
  dirty_ = false;
}

KvLayer PagedKvCache::layer(int l) const {
  KvLayer kv;
  const int64_t plane = pool_rows() * row_width_;
  kv.k = pool() + (int64_t(l) * 2) * plane;
  kv.v = kv.k + plane;
  kv.block_table = device_table();
  kv.block_size = kBlockSize;
  return kv;
}

}  // namespace stride::cuda
