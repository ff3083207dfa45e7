// CompletionService on the fake engine: streaming through the stop rules, fair order between
// clients, a newer request cancelling an older one, the answer cache, cancel, errors, shutdown.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "completion/completion_service.h"
#include "fake_engine.h"

namespace stride {
namespace {

using testing::FakeEngine;

// Collects the callbacks of all requests; waits for their OnDone.
class Recorder {
 public:
  CompletionService::OnPartial partial() {
    return [this](uint64_t id, const std::string& text) {
      std::lock_guard<std::mutex> lock(mu_);
      partials_[id].push_back(text);
    };
  }
  CompletionService::OnDone done() {
    return [this](uint64_t id, const CompletionOutput& out) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_[id] = out;
        order_.push_back(id);
        ++done_calls_[id];
        cv_.notify_all();
      }
    };
  }
  bool wait_done(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return done_.size() >= n; });
  }
  CompletionOutput out(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return done_.at(id);
  }
  std::vector<std::string> partials(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return partials_[id];
  }
  std::vector<uint64_t> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  int done_calls(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return done_calls_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, CompletionOutput> done_;
  std::map<uint64_t, std::vector<std::string>> partials_;
  std::map<uint64_t, int> done_calls_;
  std::vector<uint64_t> order_;
};

CompletionInput request(const std::string& client, const std::string& doc, const std::string& text_with_cursor) {
  CompletionInput in;
  in.client_id = client;
  in.document_id = doc;
  in.path = doc + ".py";
  in.cursor = text_with_cursor.find('|');
  in.text = text_with_cursor.substr(0, in.cursor) + text_with_cursor.substr(in.cursor + 1);
  return in;
}

// The fake model answers with the text after "#say:" in the prompt, up to the cursor.
std::string say_script(const Request& r) {
  std::string prompt;
  for (TokenId id : r.prompt_ids) {
    if (id >= testing::ByteTokenizer::kByteBase) prompt += char(id - testing::ByteTokenizer::kByteBase);
  }
  size_t at = prompt.find("#say:");
  if (at == std::string::npos) return "";
  size_t end = prompt.find('#', at + 5);
  std::string said = prompt.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
  size_t pos;
  while ((pos = said.find("\\n")) != std::string::npos) said.replace(pos, 2, "\n");
  return said;
}

TEST(CompletionService, StreamsThroughTheStopRulesAndStopsTheEngine) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  // The model would write 3 lines and then a blank line and more; the blank line ends it.
  auto h = service->submit(request("app", "a", "#say:1\\ny = 2\\n\\nzzzzzzzzzzzzzzzzzzzz#\nx = |"), rec.partial(),
                           rec.done());
  ASSERT_TRUE(rec.wait_done(1));
  CompletionOutput out = rec.out(h->id());
  EXPECT_EQ(out.error, "");
  EXPECT_FALSE(out.cancelled);
  EXPECT_FALSE(out.from_cache);
  EXPECT_EQ(out.text, "1\ny = 2");
  // Generation was cut at the blank line, not run to the end of the script.
  EXPECT_EQ(engine->streamed_tokens(), 9);
  // Partials grow and never show held-back or cut text.
  std::vector<std::string> parts = rec.partials(h->id());
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.front(), "1");
  EXPECT_EQ(parts.back(), "1\ny = 2");
  for (const std::string& p : parts) EXPECT_EQ(out.text.compare(0, p.size(), p), 0) << p;
}

TEST(CompletionService, RequestCarriesTheSettings) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  CompletionInput in = request("app", "a", "ab|cd");
  in.settings.max_tokens = 17;
  service->submit(in, rec.partial(), rec.done());
  in.document_id = "b";
  in.settings.strategy = StrategyKind::Sample;
  in.settings.temperature = 0.0f;
  service->submit(in, rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(2));
  std::vector<Request> reqs = engine->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].strategy, StrategyKind::Auto);  // the engine picks for its backend
  EXPECT_EQ(reqs[0].sampling.temperature, 0.0f);
  EXPECT_EQ(reqs[0].max_tokens, 17);
  EXPECT_EQ(reqs[0].context_ids, build_completion_prompt(*engine, in).seed_ids);
  EXPECT_EQ(reqs[0].prompt_ids, build_completion_prompt(*engine, in).ids);
  EXPECT_TRUE(reqs[0].cancel != nullptr);
  EXPECT_EQ(reqs[1].strategy, StrategyKind::Greedy);  // sampling at temperature 0 is greedy
}

TEST(CompletionService, ServesClientsRoundRobin) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  engine->close_gate();
  auto blocker = service->submit(request("x", "blocker", "|"), rec.partial(), rec.done());
  ASSERT_TRUE(engine->wait_for_calls(1));
  // Client a queues three requests before client b queues two.
  std::vector<uint64_t> a, b;
  for (int i = 0; i < 3; ++i) a.push_back(service->submit(request("a", "a" + std::to_string(i), "|"), {}, rec.done())->id());
  for (int i = 0; i < 2; ++i) b.push_back(service->submit(request("b", "b" + std::to_string(i), "|"), {}, rec.done())->id());
  engine->open_gate();
  ASSERT_TRUE(rec.wait_done(6));
  EXPECT_EQ(rec.order(), (std::vector<uint64_t>{blocker->id(), a[0], b[0], a[1], b[1], a[2]}));
}

TEST(CompletionService, NewerRequestCancelsTheDocumentsOlderOnes) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  engine->close_gate();
  auto running = service->submit(request("app", "doc", "#say:old#|"), rec.partial(), rec.done());
  ASSERT_TRUE(engine->wait_for_calls(1));
  auto queued = service->submit(request("app", "doc", "#say:mid#|"), rec.partial(), rec.done());
  auto other = service->submit(request("app", "other", "#say:keep#|"), rec.partial(), rec.done());
  auto newest = service->submit(request("app", "doc", "#say:new#|"), rec.partial(), rec.done());
  // The running request was cancelled at the gate; the gate stays closed for no one else.
  ASSERT_TRUE(rec.wait_done(1));
  engine->open_gate();
  ASSERT_TRUE(rec.wait_done(4));
  EXPECT_TRUE(rec.out(running->id()).cancelled);
  EXPECT_TRUE(rec.out(queued->id()).cancelled);
  EXPECT_FALSE(rec.out(other->id()).cancelled);
  EXPECT_EQ(rec.out(other->id()).text, "keep");
  EXPECT_FALSE(rec.out(newest->id()).cancelled);
  EXPECT_EQ(rec.out(newest->id()).text, "new");
  // The queued one never reached the engine.
  EXPECT_EQ(engine->calls(), 3);
}

TEST(CompletionService, SamePromptIsAnsweredFromTheCache) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  auto first = service->submit(request("app", "a", "#say:cached#|"), rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(1));
  auto second = service->submit(request("lsp:1", "b", "#say:cached#|"), rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(2));
  EXPECT_FALSE(rec.out(first->id()).from_cache);
  EXPECT_TRUE(rec.out(second->id()).from_cache);
  EXPECT_EQ(rec.out(second->id()).text, "cached");
  EXPECT_EQ(rec.partials(second->id()), std::vector<std::string>{"cached"});
  EXPECT_EQ(engine->calls(), 1);
  // Other settings are another question.
  CompletionInput in = request("app", "a", "#say:cached#|");
  in.settings.max_lines = 2;
  service->submit(in, rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(3));
  EXPECT_EQ(engine->calls(), 2);
}

TEST(CompletionService, SampledAnswersAreNotCached) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  CompletionInput in = request("app", "a", "#say:hot#|");
  in.settings.temperature = 0.8f;
  service->submit(in, {}, rec.done());
  ASSERT_TRUE(rec.wait_done(1));
  auto again = service->submit(in, {}, rec.done());
  ASSERT_TRUE(rec.wait_done(2));
  EXPECT_FALSE(rec.out(again->id()).from_cache);
  EXPECT_EQ(engine->calls(), 2);
}

TEST(CompletionService, CancelStopsARunningRequestAndSkipsAQueuedOne) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  engine->close_gate();
  auto running = service->submit(request("app", "a", "#say:one#|"), rec.partial(), rec.done());
  ASSERT_TRUE(engine->wait_for_calls(1));
  auto queued = service->submit(request("app", "b", "#say:two#|"), rec.partial(), rec.done());
  queued->cancel();
  running->cancel();
  ASSERT_TRUE(rec.wait_done(2));
  EXPECT_TRUE(rec.out(running->id()).cancelled);
  EXPECT_TRUE(rec.out(queued->id()).cancelled);
  EXPECT_EQ(engine->calls(), 1);
  // A cancelled answer is not cached: asking again runs the engine.
  engine->open_gate();
  auto again = service->submit(request("app", "a", "#say:one#|"), rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(3));
  EXPECT_FALSE(rec.out(again->id()).from_cache);
  EXPECT_EQ(rec.out(again->id()).text, "one");
}

TEST(CompletionService, EngineErrorsBecomeOutputErrors) {
  auto engine = std::make_shared<FakeEngine>([](const Request&) -> std::string { throw Error("GPU fell over"); });
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  auto h = service->submit(request("app", "a", "x|"), rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(1));
  EXPECT_EQ(rec.out(h->id()).error, "GPU fell over");
  // Bad input (cursor past the end) too, and the worker lives on.
  CompletionInput bad = request("app", "b", "x|");
  bad.cursor = 99;
  auto h2 = service->submit(bad, rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(2));
  EXPECT_NE(rec.out(h2->id()).error.find("past the end"), std::string::npos);
}

TEST(CompletionService, CallbackExceptionsDoNotKillTheWorker) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  service->submit(request("app", "a", "#say:x#|"), [](uint64_t, const std::string&) { throw std::runtime_error("ui"); },
                  [](uint64_t, const CompletionOutput&) { throw std::runtime_error("ui"); });
  auto h = service->submit(request("app", "b", "#say:y#|"), rec.partial(), rec.done());
  ASSERT_TRUE(rec.wait_done(1));
  EXPECT_EQ(rec.out(h->id()).text, "y");
}

TEST(CompletionService, ShutdownCancelsInFlightRequestsAndAnswersEachOnce) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  engine->close_gate();
  std::vector<uint64_t> ids;
  ids.push_back(service->submit(request("app", "a", "#say:a#|"), rec.partial(), rec.done())->id());
  ASSERT_TRUE(engine->wait_for_calls(1));
  for (const char* doc : {"b", "c", "d"}) ids.push_back(service->submit(request("lsp:1", doc, "|"), {}, rec.done())->id());
  service->shutdown();  // returns only once the worker is gone
  for (uint64_t id : ids) {
    EXPECT_EQ(rec.done_calls(id), 1) << id;
    EXPECT_TRUE(rec.out(id).cancelled) << id;
  }
  EXPECT_EQ(engine->calls(), 1);
  // After shutdown a request is refused at once.
  auto late = service->submit(request("app", "e", "|"), {}, rec.done());
  EXPECT_TRUE(rec.out(late->id()).cancelled);
  EXPECT_NE(rec.out(late->id()).error, "");
  service->shutdown();  // twice is fine
}

TEST(CompletionService, ManySubmittingThreadsEachGetExactlyOneAnswer) {
  auto engine = std::make_shared<FakeEngine>(say_script);
  Recorder rec;  // outlives the service, whose worker calls it
  auto service = CompletionService::create(engine);
  std::mutex ids_mu;
  std::vector<uint64_t> ids;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        // Two documents per client: most requests supersede an older one.
        auto h = service->submit(request("c" + std::to_string(t), "d" + std::to_string(t * 2 + i % 2), "#say:ok#|"),
                                 rec.partial(), rec.done());
        if (i % 7 == 0) h->cancel();
        std::lock_guard<std::mutex> lock(ids_mu);
        ids.push_back(h->id());
      }
    });
  }
  for (auto& c : clients) c.join();
  ASSERT_TRUE(rec.wait_done(ids.size()));
  service->shutdown();
  for (uint64_t id : ids) {
    EXPECT_EQ(rec.done_calls(id), 1) << id;
    CompletionOutput out = rec.out(id);
    EXPECT_TRUE(out.cancelled || out.text == "ok") << id;
  }
}

TEST(CompletionService, CreateWithoutEngineIsAnError) {
  EXPECT_THROW(CompletionService::create(nullptr), Error);
}

}  // namespace
}  // namespace stride
