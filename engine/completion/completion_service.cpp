// CompletionService: one worker thread in front of one engine. Requests wait in a FairJobQueue;
// a newer request for a document cancels that document's older one (queued or running); each
// running request streams its text through the stop rules and is cut off as soon as they say
// stop; finished greedy answers go into an AnswerCache. Every submitted request gets exactly one
// OnDone call, always on the worker thread (except a submit after shutdown, answered at once).
#include <condition_variable>
#include <mutex>
#include <thread>

#include "completion/answer_cache.h"
#include "completion/completion_service.h"
#include "completion/cursor_context.h"
#include "completion/fair_job_queue.h"

namespace stride {
namespace {

class JobHandle final : public CompletionRequestHandle {
 public:
  // Holds only the job's token, so it may outlive the service. A queued job whose token is set is
  // reported as cancelled when its turn comes (without running); a running one stops at the
  // engine's next step.
  JobHandle(uint64_t id, std::shared_ptr<CancelToken> cancel) : id_(id), cancel_(std::move(cancel)) {}
  void cancel() override { cancel_->cancel(); }
  uint64_t id() const override { return id_; }

 private:
  uint64_t id_;
  std::shared_ptr<CancelToken> cancel_;
};

// Greedy settings give the same answer every time, so only they are cached.
bool cacheable(const CompletionSettings& s) { return s.temperature <= 0.0f; }

Request engine_request(const CompletionSettings& s, const BuiltPrompt& prompt) {
  Request r;
  r.prompt_ids = prompt.ids;
  r.context_ids = prompt.seed_ids;
  r.max_tokens = s.max_tokens;
  r.strategy = s.strategy;
  r.lookahead = s.lookahead;
  if (s.temperature <= 0.0f) {
    // Temperature 0 asks for the strategy's lossless greedy form; plain sampling becomes greedy.
    r.sampling.temperature = 0.0f;
    if (r.strategy == StrategyKind::Sample) r.strategy = StrategyKind::Greedy;
  } else {
    r.sampling.temperature = s.temperature;
  }
  return r;
}

class CompletionServiceImpl final : public CompletionService {
 public:
  explicit CompletionServiceImpl(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {
    worker_ = std::thread([this] { run(); });
  }
  ~CompletionServiceImpl() override { shutdown(); }

  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnPartial on_partial,
                                                  OnDone on_done) override {
    auto job = std::make_shared<CompletionJob>();
    job->input = std::move(input);
    job->on_partial = std::move(on_partial);
    job->on_done = std::move(on_done);
    bool refused = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job->id = ++next_id_;
      if (stopping_) {
        refused = true;
      } else {
        if (!job->input.document_id.empty()) {
          const std::string& doc = job->input.document_id;
          queue_.for_each([&](CompletionJob& older) {
            if (older.input.document_id == doc) older.cancel->cancel();
          });
          if (running_ && running_->input.document_id == doc) running_->cancel->cancel();
        }
        queue_.push(job);
      }
    }
    if (refused) {
      job->cancel->cancel();
      CompletionOutput out;
      out.cancelled = true;
      out.error = "the completion service is shut down";
      call_done(*job, out);
    } else {
      wake_.notify_one();
    }
    return std::make_shared<JobHandle>(job->id, job->cancel);
  }

  Engine& engine() override { return *engine_; }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      queue_.for_each([](CompletionJob& job) { job.cancel->cancel(); });
      if (running_) running_->cancel->cancel();
    }
    wake_.notify_all();
    if (!worker_.joinable()) return;
    if (std::this_thread::get_id() == worker_.get_id()) {
      worker_.detach();  // called from a callback: the worker ends once it returns
    } else {
      worker_.join();
    }
  }

 private:
  void run() {
    for (;;) {
      std::shared_ptr<CompletionJob> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left to report
        job = queue_.pop();
        running_ = job;
      }
      CompletionOutput out = job->cancel->cancelled() ? cancelled_output() : serve(*job);
      {
        std::lock_guard<std::mutex> lock(mu_);
        running_.reset();
      }
      call_done(*job, out);
    }
  }

  static CompletionOutput cancelled_output() {
    CompletionOutput out;
    out.cancelled = true;
    return out;
  }

  CompletionOutput serve(CompletionJob& job) {
    CompletionOutput out;
    try {
      const CompletionSettings& settings = job.input.settings;
      StopRuleContext stop = stop_context_for(job.input);
      const BuiltPrompt prompt = build_completion_prompt(*engine_, job.input);
      const std::string key = AnswerCache::key(prompt, settings, stop);
      if (cacheable(settings)) {
        if (auto hit = cache_.find(key)) {
          out = *hit;
          out.from_cache = true;
          if (!out.text.empty()) call_partial(job, out.text);
          return out;
        }
      }

      Request request = engine_request(settings, prompt);
      request.cancel = job.cancel;
      std::string streamed, shown;
      request.on_stream = [&](const StreamEvent& ev) {
        streamed += ev.new_text;
        StopDecision d = apply_stop_rules(stop, streamed);
        if (d.keep_bytes != shown.size() || streamed.compare(0, d.keep_bytes, shown) != 0) {
          shown = streamed.substr(0, d.keep_bytes);
          call_partial(job, shown);
        }
        return !d.stop && !job.cancel->cancelled();
      };
      out.result = engine_->generate(request);

      stop.finished = true;
      const std::string& text = out.result.text.empty() ? streamed : out.result.text;
      out.text = text.substr(0, apply_stop_rules(stop, text).keep_bytes);
      out.cancelled = job.cancel->cancelled();
      if (!out.cancelled && cacheable(settings)) cache_.put(key, out);
    } catch (const std::exception& e) {
      out.error = e.what();
    } catch (...) {
      out.error = "unknown error while completing";
    }
    return out;
  }

  // Callbacks belong to the clients: an exception from one must not end the worker.
  static void call_partial(CompletionJob& job, const std::string& text) {
    if (!job.on_partial) return;
    try {
      job.on_partial(job.id, text);
    } catch (...) {
    }
  }
  static void call_done(CompletionJob& job, const CompletionOutput& out) {
    if (!job.on_done) return;
    try {
      job.on_done(job.id, out);
    } catch (...) {
    }
  }

  std::shared_ptr<Engine> engine_;
  std::mutex mu_;
  std::condition_variable wake_;
  FairJobQueue queue_;
  std::shared_ptr<CompletionJob> running_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
  AnswerCache cache_;  // worker thread only
  std::thread worker_;
};

}  // namespace

std::unique_ptr<CompletionService> CompletionService::create(std::shared_ptr<Engine> engine) {
  if (!engine) throw Error("CompletionService::create: no engine given");
  return std::make_unique<CompletionServiceImpl>(std::move(engine));
}

}  // namespace stride
