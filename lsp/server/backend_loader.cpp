#include "server/backend_loader.h"

namespace stride::lsp {

std::shared_ptr<BackendLoader> BackendLoader::ready(std::shared_ptr<CompletionBackend> backend) {
  auto loader = std::make_shared<BackendLoader>();
  loader->set_ready(std::move(backend));
  return loader;
}

void BackendLoader::report_progress(float fraction, const std::string& message) {
  std::vector<std::shared_ptr<Listener>> ls;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Loading) return;
    fraction_ = fraction;
    message_ = message;
    for (auto& [t, l] : listeners_) ls.push_back(l);
  }
  for (auto& l : ls)
    if (l->on_progress) l->on_progress(fraction, message);
}

void BackendLoader::set_ready(std::shared_ptr<CompletionBackend> backend) {
  std::vector<std::shared_ptr<Listener>> ls;
  {
    std::lock_guard lock(mutex_);
    backend_ = std::move(backend);
    state_ = State::Ready;
    for (auto& [t, l] : listeners_) ls.push_back(l);
  }
  for (auto& l : ls)
    if (l->on_ready) l->on_ready();
}

void BackendLoader::set_failed(const std::string& error) {
  std::vector<std::shared_ptr<Listener>> ls;
  {
    std::lock_guard lock(mutex_);
    error_ = error;
    state_ = State::Failed;
    for (auto& [t, l] : listeners_) ls.push_back(l);
  }
  for (auto& l : ls)
    if (l->on_failed) l->on_failed(error);
}

int BackendLoader::subscribe(Listener listener) {
  auto l = std::make_shared<Listener>(std::move(listener));
  State s;
  float f;
  std::string msg, err;
  int token;
  {
    std::lock_guard lock(mutex_);
    token = next_token_++;
    listeners_.emplace_back(token, l);
    s = state_;
    f = fraction_;
    msg = message_;
    err = error_;
  }
  if (s == State::Loading && l->on_progress) l->on_progress(f, msg);
  if (s == State::Ready && l->on_ready) l->on_ready();
  if (s == State::Failed && l->on_failed) l->on_failed(err);
  return token;
}

void BackendLoader::unsubscribe(int token) {
  std::lock_guard lock(mutex_);
  std::erase_if(listeners_, [token](const auto& p) { return p.first == token; });
}

BackendLoader::State BackendLoader::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::shared_ptr<CompletionBackend> BackendLoader::backend() const {
  std::lock_guard lock(mutex_);
  return state_ == State::Ready ? backend_ : nullptr;
}

std::string BackendLoader::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

}  // namespace stride::lsp
