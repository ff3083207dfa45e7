// Each kernel against a float64 CPU reference on fresh random inputs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>

#include "cuda_test_util.h"
#include "kernels/argmax.cuh"
#include "kernels/attention.cuh"
#include "kernels/gemv.cuh"
#include "kernels/qkv_rope.cuh"
#include "kernels/rmsnorm.cuh"
#include "kernels/swiglu.cuh"

namespace stride::cuda::test {
namespace {

TEST(CudaKernels, GemvMatchesReferenceForEveryTileSize) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  for (int m : {1, 2, 3, 7, 16, 33, 128}) {
    const int k = 8 * (40 + int(rng() % 300)), n = 1 + int(rng() % 700);
    std::vector<uint16_t> wb;
    std::vector<float> w;
    random_bf16(rng, size_t(n) * k, 1.f, wb, w);
    const std::vector<float> x = random_f32(rng, size_t(m) * k, 1.f);
    DeviceBuffer dw = upload(wb), dx = upload(x), dy(size_t(m) * n * 4);
    poison(dy);
    launch_gemv(dx.as<float>(), m, k, dw.as<bf16>(), n, dy.as<float>(), nullptr);
    const auto y = download<float>(dy, size_t(m) * n);
    std::vector<double> ref(size_t(m) * n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int t = 0; t < k; ++t) s += double(x[size_t(i) * k + t]) * w[size_t(j) * k + t];
        ref[size_t(i) * n + j] = s;
      }
    EXPECT_LT(rel_error(y, ref), 1e-5) << "m=" << m << " k=" << k << " n=" << n;
  }
}

TEST(CudaKernels, GemvIsBatchInvariant) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int k = 896, n = 300, m = 64;
  std::vector<uint16_t> wb;
  std::vector<float> w;
  random_bf16(rng, size_t(n) * k, 1.f, wb, w);
  const std::vector<float> x = random_f32(rng, size_t(m) * k, 1.f);
  DeviceBuffer dw = upload(wb), dx = upload(x), dall(size_t(m) * n * 4), done(size_t(n) * 4);
  launch_gemv(dx.as<float>(), m, k, dw.as<bf16>(), n, dall.as<float>(), nullptr);
  const auto all = download<float>(dall, size_t(m) * n);
  for (int row : {0, 17, 63}) {
    launch_gemv(dx.as<float>() + size_t(row) * k, 1, k, dw.as<bf16>(), n, done.as<float>(), nullptr);
    const auto one = download<float>(done, n);
    EXPECT_EQ(0, std::memcmp(one.data(), all.data() + size_t(row) * n, n * 4)) << "row " << row;
  }
}

TEST(CudaKernels, AddRmsNormAndSwiglu) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int n = 5;
  // Widths held in registers (up to 8192) and one past them (the looped form), with and without delta.
  for (const int d : {1536, 896, 3584, 8192, 8448}) {
  const bool with_delta = d != 896;
  auto res = random_f32(rng, size_t(n) * d, 2.f), delta = random_f32(rng, size_t(n) * d, 1.f);
  std::vector<uint16_t> wb;
  std::vector<float> w;
  random_bf16(rng, d, 1.f, wb, w);
  DeviceBuffer dr = upload(res), dd = upload(delta), dw = upload(wb), dy(size_t(n) * d * 4);
  poison(dy);
  launch_add_rmsnorm(dr.as<float>(), with_delta ? dd.as<float>() : nullptr, dw.as<bf16>(), n, d, 1e-6f,
                     dy.as<float>(), nullptr);
  const auto y = download<float>(dy, size_t(n) * d), r2 = download<float>(dr, size_t(n) * d);
  std::vector<double> ref(size_t(n) * d), rref(size_t(n) * d);
  for (int i = 0; i < n; ++i) {
    double ss = 0;
    for (int k = 0; k < d; ++k) {
      rref[i * d + k] = double(res[i * d + k]) + (with_delta ? delta[i * d + k] : 0.f);
      ss += rref[i * d + k] * rref[i * d + k];
    }
    const double sc = 1 / std::sqrt(ss / d + 1e-6);
    for (int k = 0; k < d; ++k) ref[i * d + k] = w[k] * rref[i * d + k] * sc;
  }
  EXPECT_LT(rel_error(y, ref), 1e-5) << "width " << d;
  EXPECT_LT(rel_error(r2, rref), 1e-6) << "width " << d;
  }

  const int inter = 777;
  const auto gu = random_f32(rng, size_t(n) * 2 * inter, 4.f);
  DeviceBuffer dgu = upload(gu), dout(size_t(n) * inter * 4);
  poison(dout);
  launch_swiglu(dgu.as<float>(), n, inter, dout.as<float>(), nullptr);
  const auto out = download<float>(dout, size_t(n) * inter);
  std::vector<double> sref(size_t(n) * inter);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < inter; ++c) {
      const double g = gu[size_t(i) * 2 * inter + c], u = gu[size_t(i) * 2 * inter + inter + c];
      sref[size_t(i) * inter + c] = g / (1 + std::exp(-g)) * u;
    }
  EXPECT_LT(rel_error(out, sref), 1e-5);

  // bf16 in and out (a prompt step's gate/up product written in bf16): against the same reference
  // computed from the rounded inputs; an odd width (one column per thread) and an even one (two).
  for (const int w : {777, 1024}) {
    const auto gw = random_f32(rng, size_t(n) * 2 * w, 4.f);
    std::vector<uint16_t> gub(gw.size());
    std::vector<double> bref(size_t(n) * w);
    for (size_t i = 0; i < gw.size(); ++i) gub[i] = to_bf16_bits(gw[i]);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < w; ++c) {
        const double g = from_bf16_bits(gub[size_t(i) * 2 * w + c]), u = from_bf16_bits(gub[size_t(i) * 2 * w + w + c]);
        bref[size_t(i) * w + c] = g / (1 + std::exp(-g)) * u;
      }
    DeviceBuffer dgub = upload(gub), doutb(size_t(n) * w * 2);
    poison(doutb);
    launch_swiglu_bf16_in(dgub.as<bf16>(), n, w, doutb.as<bf16>(), nullptr);
    const auto outb_bits = download<uint16_t>(doutb, size_t(n) * w);
    std::vector<float> outb(outb_bits.size());
    for (size_t i = 0; i < outb.size(); ++i) outb[i] = from_bf16_bits(outb_bits[i]);
    EXPECT_LT(rel_error(outb, bref), 1e-2) << "width " << w;
  }
}

TEST(CudaKernels, ArgmaxTakesLowestIdOnTies) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int rows = 3, vocab = 151936;
  auto logits = random_f32(rng, size_t(rows) * vocab, 5.f);
  logits[100] = logits[90000] = 50.f;                       // row 0: tie -> 100
  logits[vocab + 151935] = 60.f;                            // row 1: last id
  logits[2 * vocab + 7] = logits[2 * vocab + 8] = 70.f;     // row 2: tie -> 7
  logits[2 * vocab + 3] = NAN;                              // NaN never wins
  DeviceBuffer dl = upload(logits), dout(rows * 4), scratch(argmax_scratch_bytes(rows));
  ASSERT_EQ(cudaMemset(scratch.as(), 0, scratch.bytes()), cudaSuccess);
  launch_argmax(dl.as<float>(), rows, vocab, dout.as<int32_t>(), scratch.as(), nullptr);
  const auto out = download<int32_t>(dout, rows);
  EXPECT_EQ(out[0], 100);
  EXPECT_EQ(out[1], 151935);
  EXPECT_EQ(out[2], 7);
}

// The slices' ticket counters must come back to zero after every launch, whatever its row count:
// launches of 1, 13, 64, 2 and 1 rows on one scratch, each against a host argmax of fresh logits
// (a maximum planted at a random id, sometimes inside the last, shorter slice).
TEST(CudaKernels, ArgmaxMatchesHostOverRepeatedLaunchesOfVaryingRows) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int vocab = 151936 + 5;  // not a multiple of the slice count
  DeviceBuffer scratch(argmax_scratch_bytes(64)), dout(64 * 4);
  ASSERT_EQ(cudaMemset(scratch.as(), 0, scratch.bytes()), cudaSuccess);
  for (const int rows : {1, 13, 64, 2, 1}) {
    auto logits = random_f32(rng, size_t(rows) * vocab, 5.f);
    for (int r = 0; r < rows; ++r) {
      const int at = r % 3 == 0 ? vocab - 1 - int(rng() % 100) : int(rng() % vocab);
      logits[size_t(r) * vocab + at] = 6.f + float(r);
    }
    std::vector<int32_t> want(rows);
    for (int r = 0; r < rows; ++r) {
      const float* row = logits.data() + size_t(r) * vocab;
      want[r] = int32_t(std::max_element(row, row + vocab) - row);  // first of equal maxima
    }
    DeviceBuffer dl = upload(logits);
    launch_argmax(dl.as<float>(), rows, vocab, dout.as<int32_t>(), scratch.as(), nullptr);
    EXPECT_EQ(download<int32_t>(dout, rows), want) << rows << " rows";
  }
}

TEST(CudaKernels, PagedAttentionWithMaskMatchesReference) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  // Group sizes 2 and 12 (more query heads per kv head than one block takes), the 7B layout
  // (7 query heads of 128 per kv head), head_dim 96, and 34 heads of 32 over one kv head (three
  // head tiles of the tensor-core kernel, the last one ragged).
  for (const auto& [H, KV, hd] :
       std::vector<std::tuple<int, int, int>>{{4, 2, 64}, {12, 1, 64}, {28, 4, 128}, {6, 2, 96}, {34, 1, 32}}) {
  // 17 or 20 rows: grouped heads per block, and the tensor-core kernel's wide blocks for causal
  // launches (each row alone takes the one-block-per-tile form: the invariance check compares the
  // two); 165 committed slots: several 64-slot chunks, the last ones shared by committed and new keys.
  const int cache_len = 165, n = H >= 12 ? 20 : 17, B = 16;
  const int slots = cache_len + n, blocks = (slots + B - 1) / B;
  // Physical blocks in shuffled order: the table must be honoured.
  std::vector<int32_t> table(blocks);
  for (int i = 0; i < blocks; ++i) table[i] = blocks - 1 - i;
  std::vector<uint16_t> kb, vb;
  std::vector<float> kf, vf;
  random_bf16(rng, size_t(blocks) * B * KV * hd, 1.f, kb, kf);
  random_bf16(rng, size_t(blocks) * B * KV * hd, 1.f, vb, vf);
  const auto q = random_f32(rng, size_t(n) * H * hd, 1.f);
  std::vector<uint8_t> mask(size_t(n) * n);
  for (auto& v : mask) v = rng() % 2;
  mask[3 * n + 3] = 1;
  DeviceBuffer dk = upload(kb), dv = upload(vb), dq = upload(q), dt = upload(table), dm = upload(mask),
               dout(size_t(n) * H * hd * 4);
  const std::vector<int32_t> len_host{cache_len};
  DeviceBuffer dlen = upload(len_host);
  // Both mask kinds, chunk sizes that split the keys differently, length from the host or the device.
  for (int variant = 0; variant < 6; ++variant) {
    const bool causal = variant % 2;
    const int chunk = variant < 2 ? 16 : variant < 4 ? 32 : 64;
    poison(dout);
    KvLayer kv{dk.as<bf16>(), dv.as<bf16>(), dt.as<int32_t>(), B};
    AttentionArgs a;
    a.q = dq.as<float>();
    a.out = dout.as<float>();
    a.rows = n;
    a.heads = H;
    a.kv_heads = KV;
    a.head_dim = hd;
    a.cache_len = cache_len;
    a.key_limit = n;
    a.mask = causal ? nullptr : dm.as<uint8_t>();
    a.mask_stride = n;
    a.scale = 0.125f;
    a.chunk = chunk;
    a.splits = attention_splits(cache_len, n, chunk);
    a.cache_len_dev = variant >= 4 ? dlen.as<int32_t>() : nullptr;
    if (a.cache_len_dev) a.cache_len = -1000;  // must not be used
    DeviceBuffer parts(attention_partial_floats(n, H, hd, a.splits) * 4);
    poison(parts);
    a.partials = parts.as<float>();
    launch_attention(a, kv, nullptr);
    const auto out = download<float>(dout, size_t(n) * H * hd);
    // The chunks merged by each row's last chunk block (ticket counters) instead of the merge
    // kernel: the same bits, twice over (the counters must be back at zero after a launch).
    DeviceBuffer tickets(attention_ticket_count(n, H) * 4);
    ASSERT_EQ(cudaMemset(tickets.as(), 0, tickets.bytes()), cudaSuccess);
    a.tickets = tickets.as<unsigned>();
    for (int again = 0; again < 2; ++again) {
      poison(dout);
      launch_attention(a, kv, nullptr);
      const auto merged = download<float>(dout, size_t(n) * H * hd);
      EXPECT_EQ(std::memcmp(merged.data(), out.data(), out.size() * 4), 0) << "tickets, launch " << again;
    }
    EXPECT_EQ(download<uint32_t>(tickets, attention_ticket_count(n, H)), std::vector<uint32_t>(attention_ticket_count(n, H)));
    // Batch invariance: each row launched alone gives its bits in the launch of all rows.
    {
      DeviceBuffer one(size_t(H) * hd * 4), parts1(attention_partial_floats(1, H, hd, a.splits) * 4);
      int differ = 0;
      for (int i = 0; i < n; ++i) {
        AttentionArgs b = a;
        b.rows = 1;
        b.first_row = i;
        b.q = dq.as<float>() + size_t(i) * H * hd;
        b.out = one.as<float>();
        b.partials = parts1.as<float>();
        b.tickets = nullptr;
        poison(one);
        launch_attention(b, kv, nullptr);
        const auto row = download<float>(one, size_t(H) * hd);
        differ += std::memcmp(row.data(), out.data() + size_t(i) * H * hd, row.size() * 4) != 0;
      }
      EXPECT_EQ(differ, 0) << "rows whose output alone differs, chunk " << chunk << " heads " << H;
    }
    std::vector<double> ref(size_t(n) * H * hd, 0.0);
    for (int i = 0; i < n; ++i)
      for (int h = 0; h < H; ++h) {
        const int g = h / (H / KV);
        std::vector<double> sc;
        std::vector<int64_t> rows;
        for (int t = 0; t < slots; ++t) {
          if (t >= cache_len && (causal ? t - cache_len > i : !mask[size_t(i) * n + t - cache_len])) continue;
          const int64_t row = int64_t(table[t / B]) * B + t % B;
          double s = 0;
          for (int d = 0; d < hd; ++d) s += q[(size_t(i) * H + h) * hd + d] * 0.125 * kf[(row * KV + g) * hd + d];
          sc.push_back(s);
          rows.push_back(row);
        }
        const double mx = *std::max_element(sc.begin(), sc.end());
        double l = 0;
        for (auto& s : sc) l += (s = std::exp(s - mx));
        for (size_t t = 0; t < sc.size(); ++t)
          for (int d = 0; d < hd; ++d) ref[(size_t(i) * H + h) * hd + d] += sc[t] / l * vf[(rows[t] * KV + g) * hd + d];
      }
    EXPECT_LT(rel_error(out, ref), 1e-4) << (causal ? "causal" : "mask") << " chunk " << chunk << " heads " << H;
  }
  }
}


// The per-step rotation table, then bias, rotary embedding (rotate-half) and the paged K/V stores of qkv_rope against a host
// reference at the 7B head layout (28 query heads, 4 kv heads of 128: more items than one block).
TEST(CudaKernels, QkvRopeMatchesReference) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int H = 28, KV = 4, hd = 128, half = hd / 2, n = 3, B = 16, base = 21, first = 2;
  const int width = (H + 2 * KV) * hd, kvw = KV * hd, blocks = 4;
  const auto qkv = random_f32(rng, size_t(n) * width, 2.f), bias = random_f32(rng, width, 0.5f);
  const std::vector<int32_t> positions{base + first, base + first + 7, 3000};
  std::vector<float> inv(half);
  for (int i = 0; i < half; ++i) inv[i] = float(1.0 / std::pow(1e6, 2.0 * i / hd));
  const std::vector<int32_t> table{3, 0, 2, 1}, len{base};
  DeviceBuffer dqkv = upload(qkv), db = upload(bias), dpos = upload(positions), dinv = upload(inv), dt = upload(table),
               dlen = upload(len), dq(size_t(n) * H * hd * 4), dk(size_t(blocks) * B * kvw * 2),
               dv(size_t(blocks) * B * kvw * 2);
  poison(dq);
  ASSERT_EQ(cudaMemset(dk.as(), 0xff, dk.bytes()), cudaSuccess);  // bf16 NaN: unwritten slots show
  ASSERT_EQ(cudaMemset(dv.as(), 0xff, dv.bytes()), cudaSuccess);
  KvLayer kv{dk.as<bf16>(), dv.as<bf16>(), dt.as<int32_t>(), B};
  DeviceBuffer drope(size_t(n) * half * sizeof(float2));
  launch_rope_table(dpos.as<int32_t>(), dinv.as<float>(), n, hd, drope.as<float2>(), nullptr);
  launch_qkv_rope(dqkv.as<float>(), db.as<float>(), drope.as<float2>(), n, H, KV, hd, dq.as<float>(), kv,
                  dlen.as<int32_t>(), first, nullptr);
  const auto q = download<float>(dq, size_t(n) * H * hd);
  const auto k = download<uint16_t>(dk, size_t(blocks) * B * kvw), v = download<uint16_t>(dv, size_t(blocks) * B * kvw);
  auto bf = [](uint16_t b) {
    const uint32_t u = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  std::vector<double> qref, kref, vref;
  std::vector<float> qgot, kgot, vgot;
  for (int t = 0; t < n; ++t) {
    const int slot = base + first + t;
    const int64_t row = int64_t(table[slot / B]) * B + slot % B;
    for (int h = 0; h < H + KV; ++h)
      for (int i = 0; i < half; ++i) {
        const int c0 = h * hd + i, c1 = c0 + half;
        const double a = double(qkv[size_t(t) * width + c0]) + bias[c0], b = double(qkv[size_t(t) * width + c1]) + bias[c1];
        const double ang = double(float(positions[t]) * inv[i]);
        const double ra = a * std::cos(ang) - b * std::sin(ang), rb = b * std::cos(ang) + a * std::sin(ang);
        if (h < H) {
          qref.insert(qref.end(), {ra, rb});
          qgot.insert(qgot.end(), {q[size_t(t) * H * hd + c0], q[size_t(t) * H * hd + c1]});
        } else {
          const int kc = c0 - H * hd;
          kref.insert(kref.end(), {ra, rb});
          kgot.insert(kgot.end(), {bf(k[row * kvw + kc]), bf(k[row * kvw + kc + half])});
        }
      }
    for (int c = 0; c < kvw; ++c) {
      vref.push_back(double(qkv[size_t(t) * width + (H + KV) * hd + c]) + bias[(H + KV) * hd + c]);
      vgot.push_back(bf(v[row * kvw + c]));
    }
  }
  EXPECT_LT(rel_error(qgot, qref), 1e-5);
  EXPECT_LT(rel_error(kgot, kref), 1e-2);  // bf16 stores
  EXPECT_LT(rel_error(vgot, vref), 1e-2);
}

}  // namespace
}  // namespace stride::cuda::test
