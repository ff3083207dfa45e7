#include "settings/app_settings.h"

#include <QFontDatabase>
#include <QSettings>

namespace stride::ui {

AppSettings AppSettings::load() {
  QSettings s;
  AppSettings a;
  a.model_dir = s.value(QStringLiteral("engine/model_dir")).toString();
  try {
    a.backend = stride::parse_backend(s.value(QStringLiteral("engine/backend"), QStringLiteral("auto")).toString().toStdString());
  } catch (const stride::Error&) {
    a.backend = stride::BackendKind::Auto;
  }
  auto& c = a.completion;
  try {
    c.strategy = stride::parse_strategy(
        s.value(QStringLiteral("completion/strategy"), QString::fromLatin1(stride::to_string(c.strategy))).toString().toStdString());
  } catch (const stride::Error&) {
  }
  c.lookahead.window = s.value(QStringLiteral("completion/lookahead_w"), c.lookahead.window).toInt();
  c.lookahead.ngram = s.value(QStringLiteral("completion/lookahead_n"), c.lookahead.ngram).toInt();
  c.lookahead.verify = s.value(QStringLiteral("completion/lookahead_g"), c.lookahead.verify).toInt();
  c.max_tokens = s.value(QStringLiteral("completion/max_tokens"), c.max_tokens).toInt();
  c.max_lines = s.value(QStringLiteral("completion/max_lines"), c.max_lines).toInt();
  c.temperature = s.value(QStringLiteral("completion/temperature"), c.temperature).toFloat();
  c.context_budget_tokens = s.value(QStringLiteral("completion/context_budget"), c.context_budget_tokens).toInt();
  a.debounce_ms = s.value(QStringLiteral("completion/debounce_ms"), a.debounce_ms).toInt();
  a.dark_theme = s.value(QStringLiteral("editor/dark_theme"), false).toBool();
  QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  fixed.setPointSize(11);
  a.font = s.contains(QStringLiteral("editor/font")) ? s.value(QStringLiteral("editor/font")).value<QFont>() : fixed;
  return a;
}

void AppSettings::save() const {
  QSettings s;
  s.setValue(QStringLiteral("engine/model_dir"), model_dir);
  s.setValue(QStringLiteral("engine/backend"), QString::fromLatin1(stride::to_string(backend)));
  s.setValue(QStringLiteral("completion/strategy"), QString::fromLatin1(stride::to_string(completion.strategy)));
  s.setValue(QStringLiteral("completion/lookahead_w"), completion.lookahead.window);
  s.setValue(QStringLiteral("completion/lookahead_n"), completion.lookahead.ngram);
  s.setValue(QStringLiteral("completion/lookahead_g"), completion.lookahead.verify);
  s.setValue(QStringLiteral("completion/max_tokens"), completion.max_tokens);
  s.setValue(QStringLiteral("completion/max_lines"), completion.max_lines);
  s.setValue(QStringLiteral("completion/temperature"), double(completion.temperature));
  s.setValue(QStringLiteral("completion/context_budget"), completion.context_budget_tokens);
  s.setValue(QStringLiteral("completion/debounce_ms"), debounce_ms);
  s.setValue(QStringLiteral("editor/dark_theme"), dark_theme);
  s.setValue(QStringLiteral("editor/font"), font);
}

}  // namespace stride::ui
