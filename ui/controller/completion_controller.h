// Ghost-text completion logic for one document, independent of any widget: watches the
// QTextDocument's edits and the cursor, debounces and cancels requests to the CompletionService,
// keeps the streamed suggestion, applies accept-all / word / line as single undo steps and
// records one history row per suggestion shown. The editor only forwards keys and paints.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <cstdint>
#include <memory>
#include <optional>

#include "completion/completion_service.h"
#include "ghost/ghost_suggestion.h"

class QTextDocument;

namespace stride::ui {

class UiThreadMailbox;

// How a shown suggestion ended (the HistoryRow::outcome strings).
enum class SuggestionOutcome { AcceptedAll, AcceptedPart, Dismissed, TypedOver };
const char* to_string(SuggestionOutcome o);

class CompletionController : public QObject {
  Q_OBJECT
 public:
  explicit CompletionController(QTextDocument* document, QObject* parent = nullptr);
  ~CompletionController() override;

  // The service may be null (no engine loaded): the editor then works without completions.
  // Neither is owned; both must outlive the controller or be reset to null first.
  void setService(stride::CompletionService* service);
  void setHistory(stride::HistoryStore* history);
  void setSettings(const stride::CompletionSettings& settings, int debounce_ms);
  void setFilePath(const QString& path);
  void setEnabled(bool enabled);

  // The editor reports its cursor after every move (edits included).
  void setCursorPosition(int position);
  int cursorPosition() const { return cursor_; }

  const GhostSuggestion& suggestion() const { return ghost_; }
  bool hasSuggestion() const { return ghost_.visible(); }
  bool requestInFlight() const { return in_flight_ != nullptr; }
  int debounceMs() const { return debounce_.interval(); }

  // Accepting inserts text at the anchor as one undo step and moves the cursor behind it
  // (cursorPositionRequested). Each returns false when there is no suggestion.
  bool acceptAll();
  bool acceptNextWord();
  bool acceptNextLine();
  void dismiss();  // Esc

  // Starts a request now (skipping the debounce), e.g. for an explicit "complete" shortcut.
  void requestNow();

 Q_SIGNALS:
  void suggestionChanged();                     // repaint the ghost text
  void cursorPositionRequested(int position);   // after an accept
  void completionFinished(const stride::Result& result, bool from_cache);
  void completionFailed(const QString& error);

 private:
  struct Pending;  // one request and the suggestion it produced

  void onContentsChange(int position, int removed, int added);
  void scheduleRequest();
  void submitRequest();
  void cancelInFlight();
  void onPartial(uint64_t serial, const std::string& text_so_far);
  void onDone(uint64_t serial, const stride::CompletionOutput& out);
  void refreshGhost();
  void clearSuggestion();
  void insertAccepted(int length);
  void resolve(SuggestionOutcome outcome);
  void writeHistory(Pending& p, const char* outcome);

  QTextDocument* document_;
  stride::CompletionService* service_ = nullptr;
  stride::HistoryStore* history_ = nullptr;
  stride::CompletionSettings settings_;
  QString path_;
  bool enabled_ = true;
  QTimer debounce_;
  std::shared_ptr<UiThreadMailbox> mailbox_;

  int cursor_ = 0;
  int last_revision_ = 0;  // document revision/length after the last edit we looked at
  int last_length_ = 0;
  bool applying_ = false;  // our own insertions are not user edits
  GhostSuggestion ghost_;
  std::shared_ptr<stride::CompletionRequestHandle> in_flight_;
  uint64_t serial_ = 0;  // serial of the newest request; older callbacks are stale
  std::unique_ptr<Pending> pending_;
};

}  // namespace stride::ui

// completionFinished carries a stride::Result (queued connections, QSignalSpy).
Q_DECLARE_METATYPE(stride::Result)
