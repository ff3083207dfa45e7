#include "stats/stats_dialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>
#include <map>

#ifdef STRIDE_HAVE_CHARTS
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QValueAxis>
#if QT_VERSION < QT_VERSION_CHECK(6, 0, 0)
QT_CHARTS_USE_NAMESPACE  // Qt 6 Charts lives in the plain Qt namespace
#endif
#else
#include <QPlainTextEdit>
#endif

namespace stride::ui {

HistorySummary summarize(const std::vector<stride::HistoryRow>& rows) {
  HistorySummary s;
  std::map<qint64, std::pair<int, int>> days;  // day -> (accepted, resolved)
  std::map<QString, std::pair<double, int>> tps;
  for (const auto& r : rows) {
    ++s.shown;
    ++s.shown_by_source[r.source.empty() ? std::string("app") : r.source];
    // A suggestion taken or dismissed while still streaming has no engine timings yet.
    if (r.total_ms > 0) {
      const int bucket = std::min(39, int(r.ttft_ms / s.bucket_ms));
      if (int(s.latency_buckets.size()) <= bucket) s.latency_buckets.resize(size_t(bucket) + 1, 0);
      ++s.latency_buckets[size_t(bucket)];
    }
    const bool accepted = r.outcome == "accepted_all" || r.outcome == "accepted_part";
    if (accepted) ++s.accepted;
    if (r.outcome != "pending") {
      const qint64 day = r.time_ms - r.time_ms % (24LL * 3600 * 1000);
      auto& d = days[day];
      d.first += accepted;
      d.second += 1;
    }
    if (r.tokens_per_step > 0) {
      auto& t = tps[QString::fromStdString(r.strategy)];
      t.first += r.tokens_per_step;
      t.second += 1;
    }
  }
  for (const auto& [day, d] : days) s.acceptance_by_day.emplace_back(day, double(d.first) / d.second);
  for (const auto& [name, t] : tps) s.tokens_per_step_by_strategy.emplace_back(name, t.first / t.second);
  return s;
}

StatsDialog::StatsDialog(stride::HistoryStore* history, QWidget* parent)
    : QDialog(parent), history_(history), tabs_(new QTabWidget), summary_(new QLabel) {
  setWindowTitle(tr("Completion statistics"));
  resize(720, 480);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(summary_);
  layout->addWidget(tabs_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  QPushButton* clear = buttons->addButton(tr("Clear history"), QDialogButtonBox::DestructiveRole);
  connect(clear, &QPushButton::clicked, this, [this] {
    if (!history_) return;
    if (QMessageBox::question(this, tr("Clear history"), tr("Delete all completion history?")) != QMessageBox::Yes)
      return;
    history_->clear();
    refresh();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  refresh();
}

void StatsDialog::refresh() {
  while (tabs_->count()) {
    QWidget* w = tabs_->widget(0);
    tabs_->removeTab(0);
    delete w;
  }
  const auto rows = history_ ? history_->rows(0) : std::vector<stride::HistoryRow>{};
  const HistorySummary s = summarize(rows);
  QStringList sources;
  for (const auto& [source, n] : s.shown_by_source) sources << QStringLiteral("%1 %2").arg(QString::fromStdString(source)).arg(n);
  summary_->setText(tr("%1 completions shown%2, %3 accepted (%4%)")
                        .arg(s.shown)
                        .arg(sources.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(sources.join(QStringLiteral(", "))))
                        .arg(s.accepted)
                        .arg(s.shown ? 100.0 * s.accepted / s.shown : 0.0, 0, 'f', 1));

#ifdef STRIDE_HAVE_CHARTS
  // Latency histogram.
  {
    auto* set = new QBarSet(tr("completions"));
    QStringList labels;
    for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
      *set << s.latency_buckets[i];
      labels << QString::number(int(i) * s.bucket_ms);
    }
    auto* series = new QBarSeries;
    series->append(set);
    auto* chart = new QChart;
    chart->addSeries(series);
    chart->setTitle(tr("Time to first token (ms, bucket start)"));
    auto* x = new QBarCategoryAxis;
    x->append(labels);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    chart->legend()->hide();
    tabs_->addTab(new QChartView(chart), tr("Latency"));
  }
  // Acceptance rate over time.
  {
    auto* series = new QLineSeries;
    for (const auto& [day, rate] : s.acceptance_by_day) series->append(double(day), 100.0 * rate);
    auto* chart = new QChart;
    chart->addSeries(series);
    chart->setTitle(tr("Accepted completions per day (%)"));
    auto* x = new QDateTimeAxis;
    x->setFormat(QStringLiteral("yyyy-MM-dd"));
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    y->setRange(0, 100);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    chart->legend()->hide();
    tabs_->addTab(new QChartView(chart), tr("Acceptance"));
  }
  // Tokens per step by strategy.
  {
    auto* set = new QBarSet(tr("tokens per step"));
    QStringList labels;
    for (const auto& [name, v] : s.tokens_per_step_by_strategy) {
      *set << v;
      labels << name;
    }
    auto* series = new QBarSeries;
    series->append(set);
    auto* chart = new QChart;
    chart->addSeries(series);
    chart->setTitle(tr("Mean tokens per decode step by strategy"));
    auto* x = new QBarCategoryAxis;
    x->append(labels);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    chart->legend()->hide();
    tabs_->addTab(new QChartView(chart), tr("Tokens per step"));
  }
#else
  QString text;
  for (size_t i = 0; i < s.latency_buckets.size(); ++i)
    text += tr("ttft %1-%2 ms: %3\n").arg(int(i) * s.bucket_ms).arg(int(i + 1) * s.bucket_ms).arg(s.latency_buckets[i]);
  for (const auto& [day, rate] : s.acceptance_by_day)
    text += tr("%1: %2% accepted\n").arg(QDateTime::fromMSecsSinceEpoch(day).toString(QStringLiteral("yyyy-MM-dd"))).arg(100.0 * rate, 0, 'f', 1);
  for (const auto& [name, v] : s.tokens_per_step_by_strategy) text += tr("%1: %2 tokens/step\n").arg(name).arg(v, 0, 'f', 2);
  auto* view = new QPlainTextEdit(text);
  view->setReadOnly(true);
  tabs_->addTab(view, tr("Summary"));
#endif
}

QString StatsDialog::summaryText() const { return summary_->text(); }

}  // namespace stride::ui
