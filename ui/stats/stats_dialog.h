// Completion statistics from the history: latency histogram, acceptance rate over time and
// tokens per step by strategy (Qt Charts), with a button that clears the history.
#pragma once

#include <QDialog>
#include <map>
#include <string>
#include <vector>

#include "completion/completion_service.h"

class QLabel;
class QTabWidget;

namespace stride::ui {

// Pure aggregation of history rows (what the charts show), testable without widgets.
struct HistorySummary {
  std::vector<int> latency_buckets;   // ttft counts per bucket of bucket_ms (finished requests only)
  int bucket_ms = 25;
  std::vector<std::pair<qint64, double>> acceptance_by_day;  // (day start ms, accepted share)
  std::vector<std::pair<QString, double>> tokens_per_step_by_strategy;
  int shown = 0, accepted = 0;
  std::map<std::string, int> shown_by_source;  // "app", "lsp"
};
HistorySummary summarize(const std::vector<stride::HistoryRow>& rows);

class StatsDialog : public QDialog {
  Q_OBJECT
 public:
  StatsDialog(stride::HistoryStore* history, QWidget* parent = nullptr);
  void refresh();
  QString summaryText() const;  // the line above the charts

 private:
  stride::HistoryStore* history_;
  QTabWidget* tabs_;
  QLabel* summary_;
};

}  // namespace stride::ui
