// The app's persistent settings (QSettings, organisation "Stride", application "stride").
#pragma once

#include <QFont>
#include <QString>

#include "completion/completion_service.h"
#include "stride/engine.h"

namespace stride::ui {

struct AppSettings {
  QString model_dir;  // empty = STRIDE_MODEL or the built-in default
  stride::BackendKind backend = stride::BackendKind::Auto;
  stride::CompletionSettings completion;
  int debounce_ms = 40;
  bool dark_theme = false;
  QFont font;

  static AppSettings load();
  void save() const;
};

}  // namespace stride::ui
