// stride [FILE|FOLDER]... [--model DIR] [--no-bridge] [--screenshot FILE --after-ms N [--type-text TEXT]]
//
// The model folder comes from --model, else the settings, else $STRIDE_MODEL, else the
// STRIDE_DEFAULT_MODEL the engine was built with.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QPixmap>
#include <QTextCursor>
#include <QTimer>
#include <cstdio>

#include "editor/code_editor.h"
#include "settings/app_settings.h"
#include "window/main_window.h"

namespace {

QString chooseModelDir(const QCommandLineParser& args, const stride::ui::AppSettings& settings) {
  if (args.isSet(QStringLiteral("model"))) return args.value(QStringLiteral("model"));
  if (!settings.model_dir.isEmpty()) return settings.model_dir;
  const QString env = qEnvironmentVariable("STRIDE_MODEL");
  if (!env.isEmpty()) return env;
  return QStringLiteral(STRIDE_DEFAULT_MODEL);
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Stride"));
  QApplication::setApplicationName(QStringLiteral("stride"));
  QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

  QCommandLineParser args;
  args.setApplicationDescription(QStringLiteral("Stride: a code editor with local multi-line completions"));
  args.addHelpOption();
  args.addVersionOption();
  args.addPositionalArgument(QStringLiteral("paths"), QStringLiteral("Files to open, or a project folder"),
                             QStringLiteral("[FILE|FOLDER]..."));
  args.addOption({QStringLiteral("model"), QStringLiteral("Model folder (Hugging Face layout)"), QStringLiteral("DIR")});
  args.addOption({QStringLiteral("screenshot"), QStringLiteral("Save a grab of the window to FILE and quit"),
                  QStringLiteral("FILE")});
  args.addOption({QStringLiteral("after-ms"), QStringLiteral("Delay before the screenshot (default 3000)"),
                  QStringLiteral("N"), QStringLiteral("3000")});
  args.addOption({QStringLiteral("type-text"),
                  QStringLiteral("Once the model is loaded, type TEXT at the end of the current file"),
                  QStringLiteral("TEXT")});
  args.addOption({QStringLiteral("no-bridge"),
                  QStringLiteral("Do not serve stride-lsp (editors) through the LSP bridge socket")});
  args.process(app);

  const stride::ui::AppSettings settings = stride::ui::AppSettings::load();
  stride::ui::MainWindow window(settings);
  window.setBridgeEnabled(!args.isSet(QStringLiteral("no-bridge")));
  for (const QString& path : args.positionalArguments()) window.openPath(QDir::current().absoluteFilePath(path));
  if (!window.currentEditor()) window.openPath(QDir::current().absoluteFilePath(QStringLiteral("untitled.py")));
  window.show();

  if (args.isSet(QStringLiteral("type-text"))) {
    // Types like a user once completions are available, so the ghost text streams in.
    const QString text = args.value(QStringLiteral("type-text")).replace(QStringLiteral("\\n"), QStringLiteral("\n"));
    QObject::connect(&window, &stride::ui::MainWindow::engineLoaded, &window, [&window, text] {
      stride::ui::CodeEditor* editor = window.currentEditor();
      if (!editor) return;
      editor->moveCursor(QTextCursor::End);
      editor->insertPlainText(text);
    });
  }
  if (args.isSet(QStringLiteral("screenshot"))) {
    const QString file = args.value(QStringLiteral("screenshot"));
    QTimer::singleShot(args.value(QStringLiteral("after-ms")).toInt(), &window, [&window, file] {
      const bool ok = window.grab().save(file);
      std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "saved" : "could not save", qPrintable(file));
      QApplication::exit(ok ? 0 : 1);
    });
  }
  // The window is up before the (possibly slow) model load starts.
  QTimer::singleShot(0, &window, [&window, dir = chooseModelDir(args, settings)] { window.loadEngine(dir); });
  return app.exec();
}
