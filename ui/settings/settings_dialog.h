// Edits AppSettings: model folder, backend, strategy and lookahead (W, N, G), limits,
// temperature, debounce, context budget, theme and font.
#pragma once

#include <QDialog>

#include "settings/app_settings.h"

class QComboBox;
class QDoubleSpinBox;
class QFontComboBox;
class QLineEdit;
class QSpinBox;

namespace stride::ui {

class SettingsDialog : public QDialog {
  Q_OBJECT
 public:
  explicit SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
  AppSettings settings() const;

 private:
  AppSettings base_;
  QLineEdit* model_dir_;
  QComboBox* backend_;
  QComboBox* strategy_;
  QSpinBox *window_, *ngram_, *verify_, *max_tokens_, *max_lines_, *debounce_, *budget_, *font_size_;
  QDoubleSpinBox* temperature_;
  QComboBox* theme_;
  QFontComboBox* font_;
};

}  // namespace stride::ui
