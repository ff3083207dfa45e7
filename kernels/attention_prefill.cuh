// Causal attention of a prompt chunk over the paged KV cache, flash-style on the tensor cores.
//
// Prompt steps (prefill, prefix reuse, a draft model's catch-up) attend causally: new token i sees
// the committed slots 0..cache_len-1 and the new tokens 0..i. A block takes 64 query rows of one
// head (16 per warp); it walks the keys in tiles of 64 (K and V staged in shared memory through
// cp.async, two tiles in flight), computes S = Q·Kᵀ and O += P·V with mma.sync m16n8k16 (bf16
// operands, float32 accumulation) and keeps an online softmax per row, so S never leaves registers.
//
// Not batch invariant (the key tiles start at multiples of 64 whatever the row): decode and
// verification steps keep launch_attention (attention.cuh), whose results must not depend on M.
// Takes the same AttentionArgs; `mask` must be null, `chunk`, `splits` and `partials` are unused.
#pragma once
#include "kernels/attention.cuh"

namespace stride::cuda {

// True for the shapes the kernel serves: no mask, head_dim 32, 64, 96 or 128, every new row's own
// key already in the cache (key_limit >= first_row + rows).
bool attention_prefill_supports(const AttentionArgs& a);
void launch_attention_prefill(const AttentionArgs& a, KvLayer kv, cudaStream_t s);
}
