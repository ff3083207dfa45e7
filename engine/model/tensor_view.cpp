// TensorView dtype conversion.
#include <cstring>

#include "model/model_weights.h"

namespace stride {

const char* to_string(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

float bf16_to_float(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;  // bfloat16 is the top half of a float32
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// IEEE 754 binary16 → binary32, including subnormals, infinities and NaN.
float f16_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise the mantissa.
    exp = 113;
    while (!(mant & 0x400)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

void TensorView::to_float(std::vector<float>& out) const {
  const size_t n = static_cast<size_t>(numel());
  out.resize(n);
  if (dtype == DType::F32) {
    std::memcpy(out.data(), data, n * 4);
    return;
  }
  const auto* src = static_cast<const unsigned char*>(data);  // mapped data may be unaligned
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    out[i] = dtype == DType::BF16 ? bf16_to_float(h) : f16_to_float(h);
  }
}

}  // namespace stride
