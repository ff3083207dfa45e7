#include "window/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemModel>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSaveFile>
#include <QStatusBar>
#include <QTabWidget>
#include <QTreeView>

#include "controller/background_threads.h"
#include "controller/queued_history_store.h"
#include "controller/ui_thread_mailbox.h"
#include "editor/code_editor.h"
#include "settings/settings_dialog.h"
#include "stats/stats_dialog.h"

#ifdef STRIDE_HAVE_LSP_BRIDGE
#include "bridge/bridge_server.h"
#endif

namespace stride::ui {

struct MainWindow::Bridge {
#ifdef STRIDE_HAVE_LSP_BRIDGE
  Bridge(stride::CompletionService& service, const std::string& path) : server(service, path) {}
  stride::BridgeServer server;
#endif
};

MainWindow::MainWindow(AppSettings settings, QWidget* parent)
    : QMainWindow(parent),
      settings_(std::move(settings)),
      tabs_(new QTabWidget),
      tree_(new QTreeView),
      files_(new QFileSystemModel(this)),
      device_label_(new QLabel(tr("no engine"))),
      model_label_(new QLabel),
      completion_label_(new QLabel),
      load_progress_(new QProgressBar),
      mailbox_(std::make_shared<UiThreadMailbox>(this)) {
  setWindowTitle(QStringLiteral("Stride"));
  resize(1100, 700);
  tabs_->setTabsClosable(true);
  tabs_->setDocumentMode(true);
  connect(tabs_, &QTabWidget::tabCloseRequested, this, &MainWindow::closeTab);
  setCentralWidget(tabs_);

  files_->setRootPath(QString());
  tree_->setModel(files_);
  for (int c = 1; c < files_->columnCount(); ++c) tree_->hideColumn(c);
  tree_->header()->hide();
  connect(tree_, &QTreeView::activated, this, [this](const QModelIndex& index) {
    if (!files_->isDir(index)) openPath(files_->filePath(index));
  });
  auto* dock = new QDockWidget(tr("Project"), this);
  dock->setObjectName(QStringLiteral("project"));
  dock->setWidget(tree_);
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  dock->hide();  // shown once a folder is opened

  load_progress_->setRange(0, 100);
  load_progress_->setMaximumWidth(160);
  load_progress_->hide();
  statusBar()->addPermanentWidget(completion_label_);
  statusBar()->addPermanentWidget(model_label_);
  statusBar()->addPermanentWidget(device_label_);
  statusBar()->addPermanentWidget(load_progress_);

  try {
    std::weak_ptr<UiThreadMailbox> mailbox = mailbox_;
    history_ = std::make_unique<QueuedHistoryStore>(
        stride::HistoryStore::open(stride::HistoryStore::default_path()), [mailbox, this](const std::string& e) {
          if (auto m = mailbox.lock()) {
            m->post([this, e] { statusBar()->showMessage(tr("History: %1").arg(QString::fromStdString(e)), 10000); });
          }
        });
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("History disabled: %1").arg(QString::fromUtf8(e.what())), 10000);
  }
  buildMenus();
}

MainWindow::~MainWindow() {
  mailbox_->close();
  stopBridge();  // it serves from service_, shut down below
  // Editors outlive this body (they are child widgets): detach them from the service and the
  // history first; a suggestion still on screen is recorded as dismissed.
  for (int i = 0; i < tabs_->count(); ++i) {
    CompletionController& c = static_cast<CodeEditor*>(tabs_->widget(i))->completion();
    c.setService(nullptr);
    c.setHistory(nullptr);
  }
  if (service_) service_->shutdown();
  if (loader_.joinable()) loader_.join();
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New"), this, [this] { newEditor(QString(), QString()); }, QKeySequence::New);
  file->addAction(tr("&Open File…"), this, [this] {
    for (const QString& f : QFileDialog::getOpenFileNames(this, tr("Open file"))) openPath(f);
  }, QKeySequence::Open);
  file->addAction(tr("Open &Folder…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open folder"));
    if (!dir.isEmpty()) openPath(dir);
  });
  file->addAction(tr("&Save"), this, [this] { if (auto* e = currentEditor()) save(e); }, QKeySequence::Save);
  file->addAction(tr("Save &As…"), this, [this] { if (auto* e = currentEditor()) saveAs(e); }, QKeySequence::SaveAs);
  file->addAction(tr("&Close Tab"), this, [this] { if (tabs_->currentIndex() >= 0) closeTab(tabs_->currentIndex()); },
                  QKeySequence::Close);
  file->addSeparator();
  file->addAction(tr("&Quit"), this, &QWidget::close, QKeySequence::Quit);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(tr("&Undo"), this, [this] { if (auto* e = currentEditor()) e->undo(); }, QKeySequence::Undo);
  edit->addAction(tr("&Redo"), this, [this] { if (auto* e = currentEditor()) e->redo(); }, QKeySequence::Redo);
  edit->addSeparator();
  edit->addAction(tr("&Complete Now"), this, [this] { if (auto* e = currentEditor()) e->completion().requestNow(); },
                  QKeySequence(QStringLiteral("Ctrl+Space")));

  QMenu* tools = menuBar()->addMenu(tr("&Tools"));
  tools->addAction(tr("&Settings…"), this, &MainWindow::openSettings);
  tools->addAction(tr("S&tatistics…"), this, &MainWindow::openStats);
}

CodeEditor* MainWindow::currentEditor() const { return static_cast<CodeEditor*>(tabs_->currentWidget()); }

CodeEditor* MainWindow::newEditor(const QString& path, const QString& text) {
  auto* editor = new CodeEditor;
  editor->setFont(settings_.font);
  editor->setDarkTheme(settings_.dark_theme);
  editor->setPlainText(text);
  editor->document()->setModified(false);
  editor->setFilePath(path.isEmpty() ? QStringLiteral("untitled.txt") : path);
  editor->setProperty("stride_path", path);
  CompletionController& c = editor->completion();
  c.setSettings(settings_.completion, settings_.debounce_ms);
  c.setHistory(history_.get());
  c.setService(service_.get());
  connect(&c, &CompletionController::completionFinished, this, &MainWindow::showCompletion);
  connect(&c, &CompletionController::completionFailed, this,
          [this](const QString& e) { statusBar()->showMessage(tr("Completion failed: %1").arg(e), 8000); });
  connect(editor->document(), &QTextDocument::modificationChanged, this, [this, editor] { updateTabTitle(editor); });
  const int index = tabs_->addTab(editor, QString());
  updateTabTitle(editor);
  tabs_->setCurrentIndex(index);
  editor->setFocus();
  return editor;
}

void MainWindow::updateTabTitle(CodeEditor* editor) {
  const int index = tabs_->indexOf(editor);
  if (index < 0) return;
  const QString path = editor->property("stride_path").toString();
  QString title = path.isEmpty() ? tr("untitled") : QFileInfo(path).fileName();
  if (editor->document()->isModified()) title += QStringLiteral(" *");
  tabs_->setTabText(index, title);
  tabs_->setTabToolTip(index, path);
}

void MainWindow::openPath(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir()) {
    const QString dir = info.absoluteFilePath();
    tree_->setRootIndex(files_->index(dir));
    files_->setRootPath(dir);
    if (auto* dock = findChild<QDockWidget*>(QStringLiteral("project"))) dock->show();
    setWindowTitle(QStringLiteral("Stride — %1").arg(info.fileName()));
    return;
  }
  const QString abs = info.absoluteFilePath();
  for (int i = 0; i < tabs_->count(); ++i) {
    if (tabs_->widget(i)->property("stride_path").toString() == abs) {
      tabs_->setCurrentIndex(i);
      return;
    }
  }
  QString text;
  if (info.exists()) {
    QFile f(abs);
    if (!f.open(QIODevice::ReadOnly)) {
      QMessageBox::warning(this, tr("Open"), tr("Cannot open %1: %2").arg(abs, f.errorString()));
      return;
    }
    text = QString::fromUtf8(f.readAll());
  }
  newEditor(abs, text);
}

bool MainWindow::save(CodeEditor* editor) {
  const QString path = editor->property("stride_path").toString();
  if (path.isEmpty()) return saveAs(editor);
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly) || f.write(editor->toPlainText().toUtf8()) < 0 || !f.commit()) {
    QMessageBox::warning(this, tr("Save"), tr("Cannot save %1: %2").arg(path, f.errorString()));
    return false;
  }
  editor->document()->setModified(false);
  statusBar()->showMessage(tr("Saved %1").arg(path), 3000);
  return true;
}

bool MainWindow::saveAs(CodeEditor* editor) {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save as"), editor->property("stride_path").toString());
  if (path.isEmpty()) return false;
  editor->setProperty("stride_path", path);
  editor->setFilePath(path);
  const bool ok = save(editor);
  updateTabTitle(editor);
  return ok;
}

bool MainWindow::maybeSave(CodeEditor* editor) {
  if (!editor->document()->isModified()) return true;
  const auto answer = QMessageBox::question(
      this, tr("Unsaved changes"), tr("Save changes to %1?").arg(tabs_->tabText(tabs_->indexOf(editor))),
      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Cancel) return false;
  return answer == QMessageBox::Discard || save(editor);
}

void MainWindow::closeTab(int index) {
  auto* editor = static_cast<CodeEditor*>(tabs_->widget(index));
  if (!editor || !maybeSave(editor)) return;
  tabs_->removeTab(index);
  editor->deleteLater();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  for (int i = 0; i < tabs_->count(); ++i) {
    if (!maybeSave(static_cast<CodeEditor*>(tabs_->widget(i)))) {
      event->ignore();
      return;
    }
  }
  event->accept();
}

void MainWindow::loadEngine(const QString& model_dir) {
  if (loading_) return;  // one load at a time
  loading_ = true;
  // The previous loader has posted its result and is finishing (or finished): joining it here is
  // at most a short wait, and only when a model is loaded again.
  if (loader_.joinable()) loader_.join();
  load_progress_->setValue(0);
  load_progress_->show();
  device_label_->setText(tr("loading %1…").arg(QFileInfo(model_dir).fileName()));
  stride::EngineOptions options;
  options.model_dir = model_dir.toStdString();
  options.backend = settings_.backend;
  options.threads = cpuThreadsLeavingOneForUi();  // only the CPU backend uses it
  std::weak_ptr<UiThreadMailbox> mailbox = mailbox_;
  options.on_load_progress = [mailbox, this](float p) {
    if (auto m = mailbox.lock()) m->post([this, p] { load_progress_->setValue(int(p * 100)); });
  };
  // Loading maps and converts weights: seconds of work that must never block the UI thread.
  loader_ = std::thread([options, mailbox, this] {
    // The engine's threads (its CPU pool, the service's worker) are started from this thread
    // and inherit its lower priority, so typing always wins over inference.
    lowerCurrentThreadPriority();
    std::shared_ptr<stride::CompletionService> service;
    QString error;
    try {
      service = stride::CompletionService::create(stride::Engine::load(options));
    } catch (const std::exception& e) {
      error = QString::fromUtf8(e.what());
    }
    if (auto m = mailbox.lock()) {
      // Not joined here: the loader runs at a lower priority and may not get the CPU for a while
      // after posting, which would stall the UI thread.
      m->post([this, service, error] {
        loading_ = false;
        if (service) onEngineLoaded(service);
        else onEngineFailed(error);
      });
    } else if (service) {
      service->shutdown();
    }
  });
}

void MainWindow::onEngineLoaded(std::shared_ptr<stride::CompletionService> service) {
  load_progress_->hide();
  // A reload: nothing may still use the old service when it goes.
  stopBridge();
  for (int i = 0; i < tabs_->count(); ++i)
    static_cast<CodeEditor*>(tabs_->widget(i))->completion().setService(service.get());
  if (service_) service_->shutdown();
  service_ = std::move(service);
  const stride::Engine* engine = &service_->engine();
  const stride::DeviceInfo device = engine->device_info();
  device_label_->setText(QStringLiteral("%1: %2").arg(QString::fromLatin1(stride::to_string(device.backend)),
                                                      QString::fromStdString(device.name)));
  model_label_->setText(QString::fromStdString(engine->model_info().name));
  startBridge();
  Q_EMIT engineLoaded();
}

void MainWindow::setBridgeEnabled(bool enabled, const QString& socket_path) {
  bridge_enabled_ = enabled;
  bridge_socket_ = socket_path;
}

QString MainWindow::bridgeSocketPath() const {
#ifdef STRIDE_HAVE_LSP_BRIDGE
  if (bridge_) return QString::fromStdString(bridge_->server.socket_path());
#endif
  return QString();
}

void MainWindow::startBridge() {
#ifdef STRIDE_HAVE_LSP_BRIDGE
  if (!bridge_enabled_ || !service_) return;
  try {
    auto bridge = std::make_unique<Bridge>(*service_, bridge_socket_.toStdString());
    bridge->server.start();  // binds the socket and returns; connections are served on threads
    bridge_ = std::move(bridge);
    device_label_->setToolTip(tr("Serving stride-lsp on %1").arg(bridgeSocketPath()));
  } catch (const std::exception& e) {
    // Another app instance may hold the socket: completions in this window work regardless.
    statusBar()->showMessage(tr("LSP bridge off: %1").arg(QString::fromUtf8(e.what())), 10000);
  }
#endif
}

void MainWindow::stopBridge() {
  if (!bridge_) return;
#ifdef STRIDE_HAVE_LSP_BRIDGE
  bridge_->server.stop();  // cancels the editors' requests, joins its threads, unlinks the socket
#endif
  bridge_.reset();
  device_label_->setToolTip(QString());
}

void MainWindow::onEngineFailed(const QString& error) {
  load_progress_->hide();
  device_label_->setText(tr("no engine"));
  statusBar()->showMessage(tr("Completions are off: the model could not be loaded"));
  Q_EMIT engineFailed(error);
  // Not exec(): the editor stays usable (and scriptable) while the message is up.
  auto* box = new QMessageBox(QMessageBox::Critical, tr("Stride — model not loaded"),
                              tr("The model could not be loaded; the editor works without completions."),
                              QMessageBox::Ok, this);
  box->setObjectName(QStringLiteral("engineError"));
  box->setInformativeText(error);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

void MainWindow::showCompletion(const stride::Result& result, bool from_cache) {
  const double tps = result.total_ms > 0 ? 1000.0 * result.generated_tokens / result.total_ms : 0.0;
  completion_label_->setText(tr("ttft %1 ms · %2 tok/s · %3 tok/step%4")
                                 .arg(result.ttft_ms, 0, 'f', 1)
                                 .arg(tps, 0, 'f', 1)
                                 .arg(result.tokens_per_step(), 0, 'f', 2)
                                 .arg(from_cache ? tr(" (cached)") : QString()));
}

void MainWindow::openSettings() {
  SettingsDialog dialog(settings_, this);
  if (dialog.exec() != QDialog::Accepted) return;
  settings_ = dialog.settings();
  settings_.save();
  applySettings();
}

void MainWindow::applySettings() {
  for (int i = 0; i < tabs_->count(); ++i) {
    auto* e = static_cast<CodeEditor*>(tabs_->widget(i));
    e->setFont(settings_.font);
    e->setDarkTheme(settings_.dark_theme);
    e->completion().setSettings(settings_.completion, settings_.debounce_ms);
  }
}

void MainWindow::openStats() {
  StatsDialog dialog(history_.get(), this);
  dialog.exec();
}

}  // namespace stride::ui
