// `index build` / `search` keep the SQLite database and the .faiss file consistent: a
// stale index is rebuilt, never searched into an empty or wrong answer; a killed build
// keeps its progress; search creates nothing, and no command touches a SQLite file that
// is not argus's.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "parity.h"
#include "../common/temp_dir.h"

using namespace argus;
using argus::test::run_cli;
namespace fs = std::filesystem;

namespace {

std::string img(const std::string& name) { return test::asset("images/" + name); }

fs::path folder_of(const fs::path& dir, const std::vector<std::string>& names) {
  fs::create_directories(dir);
  for (const auto& n : names) fs::copy_file(img(n), dir / n);
  return dir;
}

test::CliResult build(const fs::path& images, const std::string& db, const std::string& batch = "16") {
  return run_cli({"index", "build", "--model", test::fixture("clip"), "--images", images.string(), "--db", db, "--batch",
                  batch});
}

// SQL on a database from the test's side; returns the first column of each row.
std::vector<std::string> sql(const std::string& db, const std::string& query) {
  sqlite3* h = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 2000);
    sqlite3_exec(
        h, query.c_str(),
        [](void* out, int, char** values, char**) {
          static_cast<std::vector<std::string>*>(out)->push_back(values[0] ? values[0] : "");
          return 0;
        },
        &rows, nullptr);
  }
  sqlite3_close(h);
  return rows;
}

}  // namespace

TEST(CliIndex, AFaissFileThatIsNotTheDatabasesIsRebuiltNotSearched) {
  const fs::path dir = test::fresh_temp_dir("index_stale");
  const std::string a = (dir / "a.db").string(), b = (dir / "b.db").string();
  ASSERT_EQ(build(folder_of(dir / "ab", {"dog.jpg", "truck.jpg"}), a).rc, 0);
  ASSERT_EQ(build(folder_of(dir / "g", {"groceries.jpg"}), b).rc, 0);
  // Another index's vectors where a's should be (a copy, an old backup, a killed build).
  fs::copy_file(b + ".faiss", a + ".faiss", fs::copy_options::overwrite_existing);
  auto s = run_cli({"search", "--db", a, "--image", img("truck.jpg"), "-k", "5", "--json"});
  ASSERT_EQ(s.rc, 0) << s.err;
  auto hits = s.json()["results"];
  ASSERT_EQ(hits.size(), 2u) << s.out;
  EXPECT_NE(hits[0]["path"].get<std::string>().find("truck.jpg"), std::string::npos) << s.out;
  EXPECT_NEAR(hits[0]["score"].get<double>(), 1.0, 1e-4);
  // And a missing one is rebuilt too.
  fs::remove(a + ".faiss");
  EXPECT_EQ(run_cli({"search", "--db", a, "--text", "a truck", "-k", "5", "--json"}).json()["results"].size(), 2u);
  EXPECT_TRUE(fs::exists(a + ".faiss"));
  for (const auto& e : fs::directory_iterator(dir))  // written beside and renamed: no leftovers
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(CliIndex, SearchCreatesNothingAndForeignSqliteFilesAreRefused) {
  const fs::path dir = test::fresh_temp_dir("index_identity");
  const std::string missing = (dir / "missing.db").string();
  auto s = run_cli({"search", "--db", missing, "--text", "x"});
  EXPECT_CLEAN_ERROR(s, "no index database at");
  EXPECT_FALSE(fs::exists(missing));

  const std::string notes = (dir / "notes.db").string();
  sql(notes, "CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES('keep me');");
  auto search = run_cli({"search", "--db", notes, "--text", "x"});
  EXPECT_CLEAN_ERROR(search, "argus did not make");
  auto b = build(folder_of(dir / "imgs", {"dog.jpg"}), notes);
  EXPECT_CLEAN_ERROR(b, "argus did not make");
  EXPECT_EQ(sql(notes, "SELECT name FROM sqlite_master WHERE type = 'table'"), std::vector<std::string>{"notes"});
  EXPECT_FALSE(fs::exists(notes + ".faiss"));

  const std::string empty = (dir / "empty.db").string();
  std::ofstream(empty).close();
  auto on_empty = run_cli({"search", "--db", empty, "--text", "x"});
  EXPECT_CLEAN_ERROR(on_empty, "empty database");
  ASSERT_EQ(build(dir / "imgs", empty).rc, 0);  // build may make an index of an empty file
  EXPECT_EQ(run_cli({"search", "--db", empty, "--text", "x", "--json"}).json()["results"].size(), 1u);
}

// A build killed half-way keeps the batches it committed: the rows appear while it runs
// (one transaction for the whole build showed none until the end), survive SIGKILL, and
// the next build counts them unchanged.
TEST(CliIndex, AKilledBuildKeepsItsProgress) {
  const fs::path dir = test::fresh_temp_dir("index_killed");
  fs::create_directories(dir / "imgs");
  const int total = 60;
  for (int i = 0; i < total; ++i) fs::copy_file(img("dog.jpg"), dir / "imgs" / ("dog" + std::to_string(i) + ".jpg"));
  const std::string db = (dir / "index.db").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execl(ARGUS_BINARY, ARGUS_BINARY, "--threads", "1", "index", "build", "--model", test::fixture("clip").c_str(),
            "--images", (dir / "imgs").c_str(), "--db", db.c_str(), "--batch", "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int seen = 0, status = 0;
  bool exited = false;
  while (!exited) {
    if (fs::exists(db)) {
      auto n = sql(db, "SELECT COUNT(*) FROM images");
      if (!n.empty()) seen = std::stoi(n[0]);
    }
    if (seen > 0) break;
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_GT(seen, 0) << "no rows were committed before the build ended";
  EXPECT_LT(seen, total) << "the rows appeared only when the whole build committed";
  const int kept = std::stoi(sql(db, "SELECT COUNT(*) FROM images").at(0));
  EXPECT_GE(kept, seen);
  auto again = build(dir / "imgs", db);
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find(std::to_string(kept) + " unchanged"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("indexed " + std::to_string(total) + " images"), std::string::npos) << again.out;
}

TEST(CliIndex, AResultCountOutOfRangeNamesTheRange) {
  // Was "Value 0 not in range 0.000000 to 1797693134862315708...": a 309-digit bound.
  for (const char* k : {"0", "-3", "1000001"}) {
    auto r = run_cli({"search", "--db", "/nonexistent/index.db", "-k", k, "a cat"});
    EXPECT_CLEAN_ERROR(r, "not in range 1 to 1000000");
    EXPECT_LT(r.err.size(), 120u) << r.err;
  }
}
