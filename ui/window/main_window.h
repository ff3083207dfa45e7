// The app window: tabs of CodeEditors, the project's folder tree, menus, the status bar
// (backend/device, model, last completion's latency and speed) and the engine, loaded on a
// background thread and shared by every editor through one CompletionService.
#pragma once

#include <QMainWindow>
#include <memory>
#include <thread>

#include "completion/completion_service.h"
#include "settings/app_settings.h"

class QFileSystemModel;
class QLabel;
class QProgressBar;
class QTabWidget;
class QTreeView;

namespace stride::ui {

class CodeEditor;
class UiThreadMailbox;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(AppSettings settings, QWidget* parent = nullptr);
  ~MainWindow() override;

  // A file opens in a tab (or focuses its tab); a folder becomes the project tree's root.
  void openPath(const QString& path);
  // Loads the model folder on a background thread; the editors work without it meanwhile.
  void loadEngine(const QString& model_dir);
  CodeEditor* currentEditor() const;
  stride::CompletionService* service() const { return service_.get(); }
  bool engineReady() const { return service_ != nullptr; }

  // The LSP bridge (lsp/bridge): once the engine is loaded, stride-lsp processes of this user
  // complete on it through a Unix socket. On unless disabled (--no-bridge) or built without
  // lsp/bridge; an empty path means the bridge's default. Takes effect at the next engine load.
  void setBridgeEnabled(bool enabled, const QString& socket_path = QString());
  // The socket the bridge listens on, or empty when it is not running.
  QString bridgeSocketPath() const;

 Q_SIGNALS:
  void engineLoaded();
  void engineFailed(const QString& error);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  CodeEditor* newEditor(const QString& path, const QString& text);
  bool save(CodeEditor* editor);
  bool saveAs(CodeEditor* editor);
  bool maybeSave(CodeEditor* editor);
  void closeTab(int index);
  void updateTabTitle(CodeEditor* editor);
  void openSettings();
  void openStats();
  void applySettings();
  void onEngineLoaded(std::shared_ptr<stride::CompletionService> service);
  void onEngineFailed(const QString& error);
  void showCompletion(const stride::Result& result, bool from_cache);
  void buildMenus();

  AppSettings settings_;
  QTabWidget* tabs_;
  QTreeView* tree_;
  QFileSystemModel* files_;
  QLabel *device_label_, *model_label_, *completion_label_;
  QProgressBar* load_progress_;
  std::unique_ptr<stride::HistoryStore> history_;
  std::shared_ptr<stride::CompletionService> service_;
  std::shared_ptr<UiThreadMailbox> mailbox_;
  std::thread loader_;
  bool loading_ = false;

  struct Bridge;  // the BridgeServer when built with lsp/bridge
  std::unique_ptr<Bridge> bridge_;
  bool bridge_enabled_ = true;
  QString bridge_socket_;
  void startBridge();
  void stopBridge();

};

}  // namespace stride::ui
