#include "settings/settings_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFontComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace stride::ui {

namespace {
QSpinBox* spin(int lo, int hi, int value, const QString& special = {}) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setValue(value);
  if (!special.isEmpty()) s->setSpecialValueText(special);
  return s;
}
}  // namespace

SettingsDialog::SettingsDialog(const AppSettings& settings, QWidget* parent)
    : QDialog(parent), base_(settings) {
  setWindowTitle(tr("Stride settings"));
  auto* form = new QFormLayout;

  model_dir_ = new QLineEdit(settings.model_dir);
  model_dir_->setPlaceholderText(tr("default (STRIDE_MODEL or the built-in model)"));
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"), model_dir_->text());
    if (!dir.isEmpty()) model_dir_->setText(dir);
  });
  auto* row = new QHBoxLayout;
  row->addWidget(model_dir_);
  row->addWidget(browse);
  form->addRow(tr("Model folder (restart to apply)"), row);

  backend_ = new QComboBox;
  for (auto b : {stride::BackendKind::Auto, stride::BackendKind::Cpu, stride::BackendKind::Cuda})
    backend_->addItem(QString::fromLatin1(stride::to_string(b)), int(b));
  backend_->setCurrentIndex(backend_->findData(int(settings.backend)));
  form->addRow(tr("Backend (restart to apply)"), backend_);

  strategy_ = new QComboBox;
  for (auto s : {stride::StrategyKind::Auto, stride::StrategyKind::Greedy, stride::StrategyKind::Sample,
                 stride::StrategyKind::Lookahead, stride::StrategyKind::Ngram})
    strategy_->addItem(QString::fromLatin1(stride::to_string(s)), int(s));
  strategy_->setCurrentIndex(std::max(0, strategy_->findData(int(settings.completion.strategy))));
  form->addRow(tr("Strategy"), strategy_);

  const auto& c = settings.completion;
  window_ = spin(0, 64, c.lookahead.window, tr("model default"));
  ngram_ = spin(0, 16, c.lookahead.ngram, tr("model default"));
  verify_ = spin(0, 64, c.lookahead.verify, tr("model default"));
  form->addRow(tr("Lookahead window W"), window_);
  form->addRow(tr("Lookahead n-gram N"), ngram_);
  form->addRow(tr("Lookahead candidates G"), verify_);
  max_tokens_ = spin(1, 1024, c.max_tokens);
  max_lines_ = spin(1, 200, c.max_lines);
  form->addRow(tr("Max tokens"), max_tokens_);
  form->addRow(tr("Max lines"), max_lines_);
  temperature_ = new QDoubleSpinBox;
  temperature_->setRange(0.0, 2.0);
  temperature_->setSingleStep(0.1);
  temperature_->setValue(c.temperature);
  form->addRow(tr("Temperature (0 = greedy)"), temperature_);
  debounce_ = spin(0, 2000, settings.debounce_ms);
  debounce_->setSuffix(tr(" ms"));
  form->addRow(tr("Debounce"), debounce_);
  budget_ = spin(64, 32768, c.context_budget_tokens);
  budget_->setSuffix(tr(" tokens"));
  form->addRow(tr("Context budget"), budget_);

  theme_ = new QComboBox;
  theme_->addItems({tr("Light"), tr("Dark")});
  theme_->setCurrentIndex(settings.dark_theme ? 1 : 0);
  form->addRow(tr("Theme"), theme_);
  font_ = new QFontComboBox;
  font_->setFontFilters(QFontComboBox::MonospacedFonts);
  font_->setCurrentFont(settings.font);
  font_size_ = spin(6, 48, settings.font.pointSize() > 0 ? settings.font.pointSize() : 11);
  auto* fontRow = new QHBoxLayout;
  fontRow->addWidget(font_);
  fontRow->addWidget(font_size_);
  form->addRow(tr("Font"), fontRow);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
  setLayout(form);
}

AppSettings SettingsDialog::settings() const {
  AppSettings a = base_;
  a.model_dir = model_dir_->text().trimmed();
  a.backend = stride::BackendKind(backend_->currentData().toInt());
  a.completion.strategy = stride::StrategyKind(strategy_->currentData().toInt());
  a.completion.lookahead = {window_->value(), ngram_->value(), verify_->value()};
  a.completion.max_tokens = max_tokens_->value();
  a.completion.max_lines = max_lines_->value();
  a.completion.temperature = float(temperature_->value());
  a.completion.context_budget_tokens = budget_->value();
  a.debounce_ms = debounce_->value();
  a.dark_theme = theme_->currentIndex() == 1;
  a.font = font_->currentFont();
  a.font.setPointSize(font_size_->value());
  return a;
}

}  // namespace stride::ui
