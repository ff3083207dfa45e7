// decode(encode(x)) gives back x (in NFC, which the Qwen2.5 normaliser applies) for random text.
#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <utf8proc.h>

#include "qwen_tokenizer.h"
#include "tokenizer/unicode_text.h"

namespace stride::test {
namespace {

std::string nfc(const std::string& s) {
  utf8proc_uint8_t* out = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(s.c_str()));
  std::string r(reinterpret_cast<char*>(out));
  std::free(out);
  return r;
}

// Random text drawn from code points a code editor meets: ASCII code, CJK, emoji (with ZWJ and
// variation selectors), combining marks, Unicode spaces, line breaks of every kind.
std::string random_text(std::mt19937& rng, size_t n_chars) {
  static const std::vector<std::pair<int32_t, int32_t>> ranges = {
      {0x20, 0x7E}, {0x20, 0x7E}, {0x20, 0x7E}, {0x20, 0x7E}, {'\n', '\n'}, {'\r', '\r'}, {'\t', '\t'},
      {0xA0, 0xFF}, {0x300, 0x36F},  // combining diacritical marks
      {0x391, 0x3C9}, {0x410, 0x44F}, {0x4E00, 0x4FFF}, {0x3040, 0x30FF}, {0xAC00, 0xAD00},
      {0x1F600, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x200D, 0x200D}, {0xFE0F, 0xFE0F},
      {0x2000, 0x200A}, {0x3000, 0x3000}, {0x2028, 0x2029}, {0x0660, 0x0669}, {0x17F, 0x17F}, {'\'', '\''},
  };
  std::uniform_int_distribution<size_t> pick(0, ranges.size() - 1);
  std::string s;
  for (size_t i = 0; i < n_chars; ++i) {
    auto [lo, hi] = ranges[pick(rng)];
    tokenizer::append_utf8(s, std::uniform_int_distribution<int32_t>(lo, hi)(rng));
  }
  return s;
}

TEST(RoundTrip, RandomUnicode) {
  const Tokenizer& tok = qwen_tokenizer();
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    std::string text = random_text(rng, 1 + rng() % 60);
    EXPECT_EQ(tok.decode(tok.encode(text)), nfc(text)) << "case " << i;
  }
}

TEST(RoundTrip, CodeSamples) {
  const Tokenizer& tok = qwen_tokenizer();
  const std::vector<std::string> samples = {
      "", " ", "\n", "\r\n\r\n", "    ", "\t\t\n  \n",
      "template <typename T>\nstd::vector<T> f(const T& x) { return {x, x}; }\n",
      "if (a != b && c <= d) {\n\treturn a->b[3] >> 2;\n}\n",
      "    '''Docstring with 'quotes' and \"double\" and it's ok.'''\n",
      "// 注释：计算总和 😀👍🏽 👨‍👩‍👧 ✔️\nlet s = \"日本語\";\n",
      "x=1e-10;y=0xFFu;z=1_000_000;w=3.14f",
      "SELECT * FROM t WHERE name LIKE '%ab%';;;;;;;;;;;;;;;;;;;;;;;;",
      std::string(2000, ' ') + "x" + std::string(3000, '=') + "\n",
  };
  for (const auto& s : samples) EXPECT_EQ(tok.decode(tok.encode(s)), s) << s.substr(0, 80);
}

TEST(RoundTrip, NfcIsApplied) {
  const Tokenizer& tok = qwen_tokenizer();
  const std::string decomposed = "cafe\xCC\x81 A\xCC\x8A";  // e + U+0301, A + U+030A
  const std::string composed = "caf\xC3\xA9 \xC3\x85";
  EXPECT_EQ(tok.encode(decomposed), tok.encode(composed));
  EXPECT_EQ(tok.decode(tok.encode(decomposed)), composed);
}

TEST(RoundTrip, InvalidUtf8BytesSurviveAsBytes) {
  const Tokenizer& tok = qwen_tokenizer();
  // Latin-1 source: "é" as the single byte 0xE9, and stray continuation/lead bytes.
  const std::string latin1 = "caf\xE9 = 1; \x80\xFF\xC3 end";
  auto ids = tok.encode(latin1);
  EXPECT_EQ(tok.decode_bytes(ids), latin1);
  EXPECT_EQ(tok.decode(ids), "caf\xEF\xBF\xBD = 1; \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(RoundTrip, EncodingIsThreadSafe) {
  const Tokenizer& tok = qwen_tokenizer();
  std::mt19937 rng(99);
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back(random_text(rng, 200));
  std::vector<std::vector<int32_t>> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int rep = 0; rep < 5; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tok.encode(texts[i]) != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace stride::test
