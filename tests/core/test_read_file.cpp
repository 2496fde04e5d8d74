// Files that are not files: a FIFO must not hang the open, a device or directory must
// not be read, and a size bound holds before any allocation.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>

#include "../common/temp_dir.h"
#include "util/error.h"
#include "util/mapped_file.h"

using argus::MappedFile;
using argus::read_file;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const argus::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ReadFile, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = argus::test::process_temp_dir("read_file") + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Without O_NONBLOCK these would block forever in open(): no writer ever comes.
  EXPECT_NE(error_of([&] { read_file(fifo); }).find("is a pipe, socket or device"), std::string::npos);
  EXPECT_NE(error_of([&] { MappedFile::open(fifo); }).find("is a pipe, socket or device"), std::string::npos);
}

TEST(ReadFile, DevicesAndDirectoriesAreNamedForWhatTheyAre) {
  EXPECT_NE(error_of([] { read_file("/dev/zero"); }).find("/dev/zero is a pipe, socket or device"), std::string::npos);
  const std::string dir = argus::test::process_temp_dir("read_file");
  EXPECT_NE(error_of([&] { read_file(dir); }).find("is a directory, not a regular file"), std::string::npos);
  EXPECT_NE(error_of([&] { MappedFile::open(dir); }).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of([] { read_file("/nonexistent/x.json"); }).find("cannot open /nonexistent/x.json"),
            std::string::npos);
}

TEST(ReadFile, ReadsWholeFilesUpToTheBound) {
  const std::string path = argus::test::process_temp_dir("read_file") + "/ten.txt";
  std::ofstream(path, std::ios::binary) << std::string("0123456789");
  EXPECT_EQ(read_file(path), "0123456789");
  EXPECT_EQ(read_file(path, 10), "0123456789");
  EXPECT_NE(error_of([&] { read_file(path, 9); }).find("is 10 bytes, over the 9 bytes"), std::string::npos);
}
