// Drives the real stride-cli binary: tokenize, complete --json, batch with good and bad lines.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

const std::string kModel = std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder";

struct CliRun {
  int status = -1;
  std::string out;
};

CliRun run(const std::string& args, const std::string& stdin_text = "") {
  auto in_path = std::filesystem::temp_directory_path() / ("stride-cli-in-" + std::to_string(::getpid()));
  std::ofstream(in_path) << stdin_text;
  std::string cmd = std::string(STRIDE_CLI_PATH) + " " + args + " < " + in_path.string() + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::filesystem::remove(in_path);
  return r;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

TEST(StrideCli, TokenizeMatchesTheReference) {
  // The first tokenizer case of the Hugging Face fixture, read from a file.
  auto path = std::filesystem::temp_directory_path() / "stride-cli-tokenize.py";
  std::ofstream(path) << "def hello_world():\n    print(\"Hello, world!\")\n";
  CliRun r = run("tokenize --model " + quoted(kModel) + " --file " + quoted(path.string()) + " --json");
  std::filesystem::remove(path);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"], nlohmann::json({750, 23811, 31792, 3932, 262, 1173, 445, 9707, 11, 1879, 22988}));
  EXPECT_EQ(j["count"], 11);
}

TEST(StrideCli, CompleteJsonHasEveryField) {
  CliRun r = run("complete --model " + quoted(kModel) + " --backend cpu --prompt " +
              quoted("def fibonacci(n):\n") + " --max-tokens 8 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"ids", "text", "prompt_tokens", "generated_tokens", "steps", "ttft_ms",
                          "total_ms", "strategy", "backend", "tokens_per_step"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["generated_tokens"], 8);
  EXPECT_EQ(j["ids"].size(), 8u);
  EXPECT_EQ(j["strategy"], "greedy");
  EXPECT_EQ(j["backend"], "cpu");
  EXPECT_EQ(j["steps"], 7);
}

TEST(StrideCli, BatchAnswersEveryLineAndReportsBadOnes) {
  std::string input =
      R"({"prompt_ids":[750,75698,1445,982],"max_tokens":4,"id":1})" "\n"
      R"({"prefix":"def add(a, b):\n    ","suffix":"\n","max_tokens":3,"id":2})" "\n"
      "this is not json\n"
      R"({"prompt":"int main(","max_tokens":2,"strategy":"no-such-strategy"})" "\n"
      R"({"prompt":"int main(","max_tokens":2,"strategy":"sample","seed":3,"temperature":0.8})" "\n";
  CliRun r = run("batch --model " + quoted(kModel) + " --backend cpu", input);
  EXPECT_EQ(r.status, 1);  // some lines failed
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(out.size(), 5u) << r.out;
  EXPECT_EQ(out[0]["id"], 1);
  EXPECT_EQ(out[0]["generated_tokens"], 4);
  EXPECT_EQ(out[1]["id"], 2);
  EXPECT_EQ(out[1]["prompt_tokens"].get<int>() > 5, true);
  EXPECT_TRUE(out[2].contains("error"));
  EXPECT_TRUE(out[3].contains("error"));
  EXPECT_NE(out[3]["error"].get<std::string>().find("no-such-strategy"), std::string::npos);
  EXPECT_EQ(out[4]["strategy"], "sample");
  EXPECT_EQ(out[4]["generated_tokens"], 2);
}

TEST(StrideCli, MissingModelIsAClearError) {
  CliRun r = run("complete --model /nonexistent/model --prompt x --json");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
