// HistoryStore: rows written and read back, outcome updates, clear, WAL mode, migration of a
// version-1 database, default_path under XDG_DATA_HOME / HOME, concurrent writers.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "completion/completion_service.h"

namespace stride {
namespace {

namespace fs = std::filesystem;

class HistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stride-history-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string db_path() const { return (dir_ / "history.sqlite").string(); }

  fs::path dir_;
};

HistoryRow row(int64_t time_ms, const std::string& source) {
  HistoryRow r;
  r.time_ms = time_ms;
  r.file_type = "python";
  r.prompt_tokens = 120;
  r.ttft_ms = 12.5;
  r.total_ms = 80.25;
  r.tokens = 30;
  r.tokens_per_step = 2.5;
  r.strategy = "lookahead";
  r.source = source;
  return r;
}

// Runs one SQL statement returning one text value.
std::string query_text(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST_F(HistoryStoreTest, WritesAndReadsRows) {
  auto store = HistoryStore::open(db_path());
  EXPECT_EQ(store->schema_version(), 2);
  int64_t a = store->add(row(1000, "app"));
  int64_t b = store->add(row(2000, "lsp"));
  EXPECT_NE(a, b);
  std::vector<HistoryRow> rows = store->rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, a);
  EXPECT_EQ(rows[0].time_ms, 1000);
  EXPECT_EQ(rows[0].file_type, "python");
  EXPECT_EQ(rows[0].prompt_tokens, 120);
  EXPECT_DOUBLE_EQ(rows[0].ttft_ms, 12.5);
  EXPECT_DOUBLE_EQ(rows[0].total_ms, 80.25);
  EXPECT_EQ(rows[0].tokens, 30);
  EXPECT_DOUBLE_EQ(rows[0].tokens_per_step, 2.5);
  EXPECT_EQ(rows[0].strategy, "lookahead");
  EXPECT_EQ(rows[0].source, "app");
  EXPECT_EQ(rows[0].outcome, "pending");
  EXPECT_EQ(rows[1].source, "lsp");
  // since_ms filters.
  rows = store->rows(1500);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, b);
  // A reopened store sees the same rows.
  store.reset();
  EXPECT_EQ(HistoryStore::open(db_path())->rows().size(), 2u);
}

TEST_F(HistoryStoreTest, OutcomeUpdates) {
  auto store = HistoryStore::open(db_path());
  int64_t a = store->add(row(1000, "app"));
  int64_t b = store->add(row(1001, "app"));
  store->set_outcome(a, "accepted_all");
  store->set_outcome(b, "typed_over");
  std::vector<HistoryRow> rows = store->rows();
  EXPECT_EQ(rows[0].outcome, "accepted_all");
  EXPECT_EQ(rows[1].outcome, "typed_over");
  EXPECT_THROW(store->set_outcome(a, "liked"), Error);
  EXPECT_NO_THROW(store->set_outcome(a + 100, "dismissed"));  // a row that is gone: nothing to do
}

TEST_F(HistoryStoreTest, Clear) {
  auto store = HistoryStore::open(db_path());
  store->add(row(1, "app"));
  store->add(row(2, "lsp"));
  store->clear();
  EXPECT_TRUE(store->rows().empty());
  store->add(row(3, "app"));
  EXPECT_EQ(store->rows().size(), 1u);
}

TEST_F(HistoryStoreTest, UsesWalMode) {
  auto store = HistoryStore::open(db_path());
  store->add(row(1, "app"));
  EXPECT_EQ(query_text(db_path(), "PRAGMA journal_mode;"), "wal");
  EXPECT_EQ(query_text(db_path(), "PRAGMA user_version;"), "2");
}

TEST_F(HistoryStoreTest, MigratesAVersion1DatabaseKeepingItsRows) {
  {
    // The version-1 schema exactly as the first release wrote it (no `source` column).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE completions (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
        " file_type TEXT NOT NULL DEFAULT '', prompt_tokens INTEGER NOT NULL DEFAULT 0,"
        " ttft_ms REAL NOT NULL DEFAULT 0, total_ms REAL NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,"
        " tokens_per_step REAL NOT NULL DEFAULT 0, strategy TEXT NOT NULL DEFAULT '',"
        " outcome TEXT NOT NULL DEFAULT 'pending');"
        "INSERT INTO completions (time_ms, file_type, prompt_tokens, tokens, strategy, outcome)"
        " VALUES (500, 'cpp', 64, 10, 'greedy', 'dismissed'), (600, 'rust', 32, 5, 'ngram', 'pending');"
        "PRAGMA user_version = 1;";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  auto store = HistoryStore::open(db_path());
  EXPECT_EQ(store->schema_version(), 2);
  std::vector<HistoryRow> rows = store->rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].file_type, "cpp");
  EXPECT_EQ(rows[0].prompt_tokens, 64);
  EXPECT_EQ(rows[0].outcome, "dismissed");
  EXPECT_EQ(rows[0].source, "");  // unknown for old rows
  EXPECT_EQ(rows[1].strategy, "ngram");
  // New rows carry their source.
  store->add(row(700, "lsp"));
  EXPECT_EQ(store->rows(700).at(0).source, "lsp");
}

TEST_F(HistoryStoreTest, NewerSchemaIsAClearError) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99;", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  try {
    HistoryStore::open(db_path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST_F(HistoryStoreTest, UnopenablePathIsAClearError) {
  const std::string bad = (dir_ / "no-such-folder" / "h.sqlite").string();
  try {
    HistoryStore::open(bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST_F(HistoryStoreTest, TwoStoresAndThreadsWriteTogether) {
  auto app = HistoryStore::open(db_path());
  auto bridge = HistoryStore::open(db_path());  // like a second process on the same file
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      HistoryStore& s = t % 2 ? *bridge : *app;
      for (int i = 0; i < 25; ++i) s.add(row(t * 100 + i, t % 2 ? "lsp" : "app"));
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(app->rows().size(), 100u);
}

TEST_F(HistoryStoreTest, DefaultPathFollowsXdgDataHome) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const char* old_home = std::getenv("HOME");
  const std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";

  ::setenv("XDG_DATA_HOME", (dir_ / "xdg").c_str(), 1);
  EXPECT_EQ(HistoryStore::default_path(), (dir_ / "xdg" / "stride" / "history.sqlite").string());
  EXPECT_TRUE(fs::is_directory(dir_ / "xdg" / "stride"));

  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", (dir_ / "home").c_str(), 1);
  EXPECT_EQ(HistoryStore::default_path(), (dir_ / "home" / ".local" / "share" / "stride" / "history.sqlite").string());
  EXPECT_TRUE(fs::is_directory(dir_ / "home" / ".local" / "share" / "stride"));

  if (old_xdg) ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);
  else ::unsetenv("XDG_DATA_HOME");
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
  else ::unsetenv("HOME");
}

}  // namespace
}  // namespace stride
