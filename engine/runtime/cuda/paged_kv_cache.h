// The KV cache of one sequence in fixed-size blocks: a block table maps the sequence's logical
// blocks to physical blocks of one pool, taken from and given back to a free list as the
// sequence grows (forward) and shrinks (accept of fewer rows, truncate).
#pragma once

#include <vector>

#include "kernels/qkv_rope.cuh"
#include "runtime/cuda/device_buffer.h"

namespace stride::cuda {

class PagedKvCache {
 public:
  static constexpr int kBlockSize = 16;

  // Pool for `capacity` tokens of `layers` layers, rows of `row_width` bf16 (kv_heads * head_dim).
  PagedKvCache(int layers, int row_width, int capacity);

  // Maps blocks so that slots [0, slots) exist; slots <= capacity.
  void ensure(int slots);
  // Returns the blocks wholly beyond `slots` to the free list.
  void release_beyond(int slots);
  // Uploads the block table when it changed.
  void sync(cudaStream_t s);

  KvLayer layer(int l) const;
  bf16* pool() const { return pool_.as<bf16>(); }
  int64_t pool_rows() const { return int64_t(num_blocks_) * kBlockSize; }
  int row_width() const { return row_width_; }
  int layers() const { return layers_; }
  const int32_t* device_table() const { return table_dev_.as<int32_t>(); }
  int mapped_blocks() const { return static_cast<int>(table_.size()); }
  int free_blocks() const { return static_cast<int>(free_.size()); }

 private:
  int layers_, row_width_, num_blocks_;
  DeviceBuffer pool_, table_dev_;
  std::vector<int32_t> table_;  // logical block -> physical block
  std::vector<int32_t> free_;   // stack of free physical blocks
  // What the device table holds (entries past table_.size() stay valid there): a lookahead step
  // releases the blocks past the committed length and the next step maps the same blocks again
  // (the free list is a stack), which needs no upload.
  std::vector<int32_t> device_copy_;
  bool dirty_ = true;
};

}  // namespace stride::cuda
