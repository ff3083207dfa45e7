// HistoryStore over SQLite (C API). The database is in WAL mode so the app and the LSP bridge
// (separate processes) can read while the other writes; writers wait up to kBusyTimeoutMs for the
// lock. The schema is versioned with PRAGMA user_version and migrated forward step by step:
//   v1: completions table (no `source` column)
//   v2: adds `source` ("app" | "lsp") and an index on time_ms
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "completion/completion_service.h"

namespace stride {
namespace {

constexpr int kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 5000;

const char* const kMigrations[kSchemaVersion] = {
    // to v1
    "CREATE TABLE completions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " file_type TEXT NOT NULL DEFAULT '',"
    " prompt_tokens INTEGER NOT NULL DEFAULT 0,"
    " ttft_ms REAL NOT NULL DEFAULT 0,"
    " total_ms REAL NOT NULL DEFAULT 0,"
    " tokens INTEGER NOT NULL DEFAULT 0,"
    " tokens_per_step REAL NOT NULL DEFAULT 0,"
    " strategy TEXT NOT NULL DEFAULT '',"
    " outcome TEXT NOT NULL DEFAULT 'pending');",
    // to v2
    "ALTER TABLE completions ADD COLUMN source TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX completions_by_time ON completions(time_ms);",
};

bool known_outcome(const std::string& o) {
  return o == "accepted_all" || o == "accepted_part" || o == "dismissed" || o == "typed_over" || o == "pending";
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const std::string& path) : path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error("history database " + path + ": " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void bind(int i, const std::string& v) { sqlite3_bind_text(stmt_, i, v.c_str(), int(v.size()), SQLITE_TRANSIENT); }
  // true while a row is available
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error("history database " + path_ + ": " + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
  }
  int64_t int_at(int i) const { return sqlite3_column_int64(stmt_, i); }
  double real_at(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string text_at(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(stmt_, i))) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_;
};

class SqliteHistoryStore final : public HistoryStore {
 public:
  explicit SqliteHistoryStore(const std::string& path) : path_(path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw Error("cannot open history database " + path + ": " + why);
    }
    try {
      sqlite3_busy_timeout(db_, kBusyTimeoutMs);
      {
        Statement wal(db_, "PRAGMA journal_mode=WAL;", path_);
        if (!wal.step() || wal.text_at(0) != "wal") {
          throw Error("history database " + path_ + ": cannot switch to WAL mode");
        }
      }
      migrate();
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteHistoryStore() override { sqlite3_close(db_); }

  int64_t add(const HistoryRow& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    Statement s(db_,
                "INSERT INTO completions (time_ms, file_type, prompt_tokens, ttft_ms, total_ms, tokens,"
                " tokens_per_step, strategy, source, outcome) VALUES (?,?,?,?,?,?,?,?,?,?);",
                path_);
    s.bind(1, int64_t(r.time_ms));
    s.bind(2, r.file_type);
    s.bind(3, int64_t(r.prompt_tokens));
    s.bind(4, r.ttft_ms);
    s.bind(5, r.total_ms);
    s.bind(6, int64_t(r.tokens));
    s.bind(7, r.tokens_per_step);
    s.bind(8, r.strategy);
    s.bind(9, r.source);
    s.bind(10, r.outcome.empty() ? std::string("pending") : r.outcome);
    s.step();
    return sqlite3_last_insert_rowid(db_);
  }

  void set_outcome(int64_t id, const std::string& outcome) override {
    if (!known_outcome(outcome)) {
      throw Error("history: unknown outcome '" + outcome +
                  "' (expected accepted_all, accepted_part, dismissed, typed_over or pending)");
    }
    std::lock_guard<std::mutex> lock(mu_);
    Statement s(db_, "UPDATE completions SET outcome = ? WHERE id = ?;", path_);
    s.bind(1, outcome);
    s.bind(2, id);
    s.step();  // an id that is gone (history cleared meanwhile) changes nothing
  }

  std::vector<HistoryRow> rows(int64_t since_ms) const override {
    std::lock_guard<std::mutex> lock(mu_);
    Statement s(db_,
                "SELECT id, time_ms, file_type, prompt_tokens, ttft_ms, total_ms, tokens, tokens_per_step,"
                " strategy, source, outcome FROM completions WHERE time_ms >= ? ORDER BY time_ms, id;",
                path_);
    s.bind(1, since_ms);
    std::vector<HistoryRow> out;
    while (s.step()) {
      HistoryRow r;
      r.id = s.int_at(0);
      r.time_ms = s.int_at(1);
      r.file_type = s.text_at(2);
      r.prompt_tokens = int(s.int_at(3));
      r.ttft_ms = s.real_at(4);
      r.total_ms = s.real_at(5);
      r.tokens = int(s.int_at(6));
      r.tokens_per_step = s.real_at(7);
      r.strategy = s.text_at(8);
      r.source = s.text_at(9);
      r.outcome = s.text_at(10);
      out.push_back(std::move(r));
    }
    return out;
  }

  void clear() override {
    std::lock_guard<std::mutex> lock(mu_);
    exec("DELETE FROM completions;");
  }

  int schema_version() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return user_version();
  }

 private:
  void exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string why = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw Error("history database " + path_ + ": " + why);
    }
  }

  int user_version() const {
    Statement s(db_, "PRAGMA user_version;", path_);
    return s.step() ? int(s.int_at(0)) : 0;
  }

  // Each step runs in its own transaction with its version bump, so a failed step leaves the
  // database at the previous version. BEGIN IMMEDIATE makes two processes opening an old database
  // at once migrate it one after the other (the second then finds nothing to do).
  void migrate() {
    for (;;) {
      exec("BEGIN IMMEDIATE;");
      try {
        int v = user_version();
        if (v > kSchemaVersion) {
          throw Error("history database " + path_ + " has schema version " + std::to_string(v) +
                      ", newer than this Stride understands (" + std::to_string(kSchemaVersion) + ")");
        }
        if (v == kSchemaVersion) {
          exec("COMMIT;");
          return;
        }
        exec(kMigrations[v]);
        exec(("PRAGMA user_version = " + std::to_string(v + 1) + ";").c_str());
        exec("COMMIT;");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
        throw;
      }
    }
  }

  sqlite3* db_ = nullptr;
  std::string path_;
  mutable std::mutex mu_;
};

}  // namespace

std::unique_ptr<HistoryStore> HistoryStore::open(const std::string& path) {
  if (path.empty()) throw Error("history database: empty path");
  return std::make_unique<SqliteHistoryStore>(path);
}

std::string HistoryStore::default_path() {
  namespace fs = std::filesystem;
  fs::path base;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg && fs::path(xdg).is_absolute()) {  // XDG spec: relative values are ignored
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    if (!home || !*home) throw Error("history: neither XDG_DATA_HOME nor HOME is set");
    base = fs::path(home) / ".local" / "share";
  }
  fs::path dir = base / "stride";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("history: cannot create folder " + dir.string() + ": " + ec.message());
  return (dir / "history.sqlite").string();
}

}  // namespace stride
