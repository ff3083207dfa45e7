#include "controller/completion_controller.h"

#include <QDateTime>
#include <QFileInfo>
#include <QTextCursor>
#include <QTextDocument>

#include "controller/ui_thread_mailbox.h"

namespace stride::ui {

const char* to_string(SuggestionOutcome o) {
  switch (o) {
    case SuggestionOutcome::AcceptedAll: return "accepted_all";
    case SuggestionOutcome::AcceptedPart: return "accepted_part";
    case SuggestionOutcome::Dismissed: return "dismissed";
    case SuggestionOutcome::TypedOver: return "typed_over";
  }
  return "dismissed";
}

// One request and the suggestion it produced. `consumed` is the part of the streamed text the
// user has already typed or accepted; the ghost is what follows it.
struct CompletionController::Pending {
  uint64_t serial = 0;
  int origin = 0;           // cursor position the request was made at
  QString streamed;         // latest text from the service
  QString consumed;
  bool shown = false;       // a non-empty ghost has been displayed
  bool done = false;
  std::optional<stride::Result> result;
  int64_t row_id = 0;       // history row, once written
};

CompletionController::CompletionController(QTextDocument* document, QObject* parent)
    : QObject(parent), document_(document), mailbox_(std::make_shared<UiThreadMailbox>(this)) {
  qRegisterMetaType<stride::Result>("stride::Result");
  debounce_.setSingleShot(true);
  debounce_.setInterval(40);
  connect(&debounce_, &QTimer::timeout, this, &CompletionController::submitRequest);
  // QTextDocument only reports contentsChange once it has a layout; a headless document (tests,
  // a document not yet shown) gets its default one here.
  (void)document_->documentLayout();
  connect(document_, &QTextDocument::contentsChange, this, &CompletionController::onContentsChange);
  last_revision_ = document_->revision();
  last_length_ = document_->characterCount();
}

CompletionController::~CompletionController() {
  mailbox_->close();  // worker callbacks after this point are dropped
  cancelInFlight();
  // A suggestion still on screen when its document goes away was shown and not taken.
  if (pending_ && pending_->shown) {
    writeHistory(*pending_, pending_->consumed.isEmpty() ? to_string(SuggestionOutcome::Dismissed)
                                                         : to_string(SuggestionOutcome::AcceptedPart));
  }
}

void CompletionController::setService(stride::CompletionService* service) {
  // A suggestion on screen goes away with its service: shown and not (fully) taken.
  if (pending_) {
    resolve(pending_->consumed.isEmpty() ? SuggestionOutcome::Dismissed : SuggestionOutcome::AcceptedPart);
  }
  cancelInFlight();
  clearSuggestion();
  service_ = service;
}

void CompletionController::setHistory(stride::HistoryStore* history) { history_ = history; }

void CompletionController::setSettings(const stride::CompletionSettings& settings, int debounce_ms) {
  settings_ = settings;
  debounce_.setInterval(std::max(0, debounce_ms));
}

void CompletionController::setFilePath(const QString& path) { path_ = path; }

void CompletionController::setEnabled(bool enabled) {
  enabled_ = enabled;
  if (!enabled) {
    debounce_.stop();
    if (pending_) resolve(SuggestionOutcome::Dismissed);
  }
}

void CompletionController::setCursorPosition(int position) {
  if (applying_ || position == cursor_) return;
  cursor_ = position;
  if (!pending_) return;
  // Moving the cursor away from where the suggestion stands dismisses it.
  const int anchor = pending_->origin + int(pending_->consumed.size());
  if (position != anchor) resolve(SuggestionOutcome::Dismissed);
}

void CompletionController::onContentsChange(int position, int removed, int added) {
  if (applying_) return;
  // Highlighters re-format blocks through the same signal; only real edits bump the revision.
  const int revision = document_->revision();
  const int length = document_->characterCount();
  const int delta = length - last_length_;
  if (revision == last_revision_ && delta == 0) return;
  last_revision_ = revision;
  last_length_ = length;

  if (pending_ && ghost_.visible() && delta > 0 && position <= ghost_.anchor &&
      ghost_.anchor + delta <= position + added && removed - (added - delta) >= 0) {
    // Typing the suggestion's own characters consumes them: no new request.
    const QString typed = document_->toPlainText().mid(ghost_.anchor, delta);
    if (ghost_.text.startsWith(typed)) {
      pending_->consumed += typed;
      ghost_.anchor += delta;
      ghost_.text.remove(0, delta);
      cursor_ = ghost_.anchor;
      if (ghost_.text.isEmpty() && pending_->done) {
        resolve(SuggestionOutcome::AcceptedAll);
        scheduleRequest();
      }
      Q_EMIT suggestionChanged();
      return;
    }
  }
  if (pending_) {
    resolve(pending_->consumed.isEmpty() ? SuggestionOutcome::TypedOver : SuggestionOutcome::AcceptedPart);
  }
  scheduleRequest();
}

void CompletionController::scheduleRequest() {
  cancelInFlight();
  if (!service_ || !enabled_) return;
  debounce_.start();
}

void CompletionController::requestNow() {
  debounce_.stop();
  if (pending_) resolve(SuggestionOutcome::Dismissed);
  submitRequest();
}

void CompletionController::submitRequest() {
  if (!service_ || !enabled_) return;
  cancelInFlight();
  const QString text = document_->toPlainText();
  const int cursor = std::clamp(cursor_, 0, int(text.size()));

  stride::CompletionInput input;
  input.client_id = "app";
  input.document_id = QStringLiteral("%1#%2").arg(path_).arg(quintptr(document_)).toStdString();
  input.path = path_.toStdString();
  input.text = text.toStdString();
  input.cursor = size_t(text.left(cursor).toUtf8().size());
  input.settings = settings_;

  pending_ = std::make_unique<Pending>();
  pending_->serial = ++serial_;
  pending_->origin = cursor;
  const uint64_t serial = serial_;
  // The callbacks run on the service's worker thread: copy the data and hop to the UI thread.
  std::weak_ptr<UiThreadMailbox> mailbox = mailbox_;
  auto on_partial = [mailbox, serial, this](uint64_t, const std::string& text_so_far) {
    if (auto m = mailbox.lock()) m->post([this, serial, text_so_far] { onPartial(serial, text_so_far); });
  };
  auto on_done = [mailbox, serial, this](uint64_t, const stride::CompletionOutput& out) {
    if (auto m = mailbox.lock()) m->post([this, serial, out] { onDone(serial, out); });
  };
  in_flight_ = service_->submit(std::move(input), std::move(on_partial), std::move(on_done));
}

void CompletionController::cancelInFlight() {
  debounce_.stop();
  if (in_flight_) {
    in_flight_->cancel();
    in_flight_.reset();
  }
}

void CompletionController::clearSuggestion() {
  pending_.reset();
  if (ghost_.anchor >= 0 || !ghost_.text.isEmpty()) {
    ghost_ = GhostSuggestion{};
    Q_EMIT suggestionChanged();
  }
}

void CompletionController::onPartial(uint64_t serial, const std::string& text_so_far) {
  if (!pending_ || pending_->serial != serial || pending_->done) return;
  pending_->streamed = QString::fromStdString(text_so_far);
  refreshGhost();
}

void CompletionController::onDone(uint64_t serial, const stride::CompletionOutput& out) {
  if (!pending_ || pending_->serial != serial) return;
  in_flight_.reset();
  if (!out.error.empty()) {
    clearSuggestion();
    Q_EMIT completionFailed(QString::fromStdString(out.error));
    return;
  }
  pending_->done = true;
  pending_->result = out.result;
  if (!out.cancelled) pending_->streamed = QString::fromStdString(out.text);
  refreshGhost();
  Q_EMIT completionFinished(out.result, out.from_cache);
  if (!pending_) return;
  if (pending_->shown) writeHistory(*pending_, "pending");
  if (ghost_.text.isEmpty()) {
    // Nothing (left) to show: a fully typed-through suggestion counts as accepted.
    if (pending_->shown) {
      resolve(SuggestionOutcome::AcceptedAll);
    } else {
      clearSuggestion();
    }
  }
}

void CompletionController::refreshGhost() {
  Pending& p = *pending_;
  GhostSuggestion next;
  next.anchor = p.origin + int(p.consumed.size());
  next.text = p.streamed.startsWith(p.consumed) ? p.streamed.mid(p.consumed.size()) : QString();
  if (next.text.isEmpty() && !p.shown) next.anchor = -1;
  if (next.visible()) p.shown = true;
  if (next.anchor != ghost_.anchor || next.text != ghost_.text) {
    ghost_ = next;
    Q_EMIT suggestionChanged();
  }
}

bool CompletionController::acceptAll() {
  if (!ghost_.visible()) return false;
  insertAccepted(int(ghost_.text.size()));
  resolve(SuggestionOutcome::AcceptedAll);
  return true;
}

bool CompletionController::acceptNextWord() {
  if (!ghost_.visible()) return false;
  insertAccepted(nextWordLength(ghost_.text));
  if (ghost_.text.isEmpty()) resolve(SuggestionOutcome::AcceptedAll);
  return true;
}

bool CompletionController::acceptNextLine() {
  if (!ghost_.visible()) return false;
  insertAccepted(nextLineLength(ghost_.text));
  if (ghost_.text.isEmpty()) resolve(SuggestionOutcome::AcceptedAll);
  return true;
}

void CompletionController::dismiss() {
  debounce_.stop();
  if (pending_) {
    resolve(pending_->consumed.isEmpty() ? SuggestionOutcome::Dismissed : SuggestionOutcome::AcceptedPart);
  }
}

void CompletionController::insertAccepted(int length) {
  const QString part = ghost_.text.left(length);
  // One edit block = one undo step for the whole accepted part.
  QTextCursor c(document_);
  c.setPosition(ghost_.anchor);
  applying_ = true;
  c.beginEditBlock();
  c.insertText(part);
  // Qt merges the next typed characters into a preceding insertion, even across edit blocks;
  // ending the block with a removal keeps the accepted text an undo step of its own.
  c.insertText(QStringLiteral(" "));
  c.deletePreviousChar();
  c.endEditBlock();
  applying_ = false;
  last_revision_ = document_->revision();
  last_length_ = document_->characterCount();

  pending_->consumed += part;
  ghost_.anchor += int(part.size());
  ghost_.text.remove(0, part.size());
  cursor_ = ghost_.anchor;
  Q_EMIT cursorPositionRequested(cursor_);
  Q_EMIT suggestionChanged();
}

void CompletionController::resolve(SuggestionOutcome outcome) {
  cancelInFlight();
  if (pending_ && pending_->shown) writeHistory(*pending_, to_string(outcome));
  clearSuggestion();
}

void CompletionController::writeHistory(Pending& p, const char* outcome) {
  if (!history_) return;
  try {
    if (p.row_id) {
      history_->set_outcome(p.row_id, outcome);
      return;
    }
    stride::HistoryRow row;
    row.time_ms = QDateTime::currentMSecsSinceEpoch();
    row.file_type = QFileInfo(path_).suffix().toStdString();
    row.source = "app";
    row.outcome = outcome;
    row.strategy = stride::to_string(settings_.strategy);
    if (p.result) {
      row.prompt_tokens = p.result->prompt_tokens;
      row.ttft_ms = p.result->ttft_ms;
      row.total_ms = p.result->total_ms;
      row.tokens = p.result->generated_tokens;
      row.tokens_per_step = p.result->tokens_per_step();
      row.strategy = stride::to_string(p.result->strategy);
    }
    p.row_id = history_->add(row);
  } catch (const std::exception& e) {
    // History is a convenience: a broken database must not break editing.
    Q_EMIT completionFailed(QStringLiteral("history: %1").arg(QString::fromUtf8(e.what())));
    history_ = nullptr;
  }
}

}  // namespace stride::ui
