// read_file_under_root: the server's --image-root check made on the opened file, so no
// symlink (even one swapped while a request is served) leads out of the root.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/temp_dir.h"
#include "util/open_under_root.h"

using namespace argus;
namespace fs = std::filesystem;
using S = RootedFile::Status;

namespace {

class OpenUnderRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::canonical(test::fresh_temp_dir("open_under_root"));
    root_ = base_ / "root";
    fs::create_directories(root_ / "sub");
    write(root_ / "in.txt", "inside");
    write(base_ / "secret.txt", "outside");
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  RootedFile read(const std::string& rel, size_t max = 1 << 20) { return read_file_under_root(root_.string(), rel, max); }
  static std::string text(const RootedFile& f) { return std::string(f.bytes.begin(), f.bytes.end()); }

  fs::path base_, root_;
};

}  // namespace

TEST_F(OpenUnderRoot, ReadsFilesAndLinksThatStayInside) {
  auto f = read("in.txt");
  ASSERT_EQ(f.status, S::Ok);
  EXPECT_EQ(text(f), "inside");
  fs::create_symlink("../in.txt", root_ / "sub" / "link.txt");
  f = read("sub/link.txt");
  ASSERT_EQ(f.status, S::Ok);
  EXPECT_EQ(text(f), "inside");
  EXPECT_EQ(read("sub/../in.txt").status, S::Ok);
}

TEST_F(OpenUnderRoot, RefusesEveryWayOut) {
  fs::create_symlink(base_ / "secret.txt", root_ / "abs_link.txt");
  fs::create_symlink("../secret.txt", root_ / "rel_link.txt");
  fs::create_directory_symlink(base_, root_ / "sub" / "up");
  for (const std::string& rel : std::vector<std::string>{"abs_link.txt", "rel_link.txt", "sub/up/secret.txt",
                                                         "../secret.txt", (base_ / "secret.txt").string()}) {
    SCOPED_TRACE(rel);
    auto f = read(rel);
    EXPECT_EQ(f.status, S::Outside);
    EXPECT_TRUE(f.bytes.empty());
  }
}

TEST_F(OpenUnderRoot, NamesMissingOddAndOversizedFiles) {
  EXPECT_EQ(read(std::string("in.txt\0../../secret.txt", 23)).status, S::BadName);
  EXPECT_EQ(read("").status, S::BadName);
  EXPECT_EQ(read("nothing.txt").status, S::Missing);
  EXPECT_EQ(read("sub").status, S::NotRegular);
  ASSERT_EQ(::mkfifo((root_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(read("fifo").status, S::NotRegular);  // and the open did not wait for a writer
  EXPECT_EQ(read("in.txt", 3).status, S::TooLarge);
}

// The race that main's check-then-open lost (1 in 600 requests): a link flipped between
// a file inside and one outside while it is read. Every read gives the inside file's
// bytes or a refusal, never the outside file's.
TEST_F(OpenUnderRoot, ALinkSwappedDuringTheReadNeverLeadsOut) {
  fs::create_symlink("in.txt", root_ / "flip.txt");
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    for (unsigned i = 0; !stop; ++i) {
      const fs::path tmp = root_ / "flip.tmp";
      std::error_code ec;
      fs::remove(tmp, ec);
      fs::create_symlink(i % 2 ? fs::path("in.txt") : base_ / "secret.txt", tmp, ec);
      fs::rename(tmp, root_ / "flip.txt", ec);
    }
  });
  int ok = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    auto f = read("flip.txt");
    if (f.status == S::Ok) {
      ++ok;
      ASSERT_EQ(text(f), "inside");
    } else {
      ++refused;
      ASSERT_TRUE(f.status == S::Outside || f.status == S::Missing) << static_cast<int>(f.status);
    }
  }
  stop = true;
  flipper.join();
  EXPECT_EQ(ok + refused, 3000);
}
