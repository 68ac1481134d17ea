// Reading and writing files under hostile paths: devices, FIFOs and folders are refused before anything is
// read or replaced; a failed write leaves neither half a file nor a temporary behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "io/files.h"
#include "ntp/shape.h"
#include "ntp/status.h"
#include "ntp/tensor.h"

namespace {

namespace fs = std::filesystem;

fs::path scratch(const char* name) {
  const fs::path folder = fs::temp_directory_path() / fmt::format("ntp-files-test-{}", ::getpid());
  fs::create_directories(folder);
  return folder / name;
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ntp::UserError& error) {
    return error.diagnostic().message + " | " + error.diagnostic().hint;
  }
  return "no error";
}

TEST(Files, DevicesFoldersAndFifosAreNotReadAsFiles) {
  EXPECT_NE(message_of([] { ntp::io::read_file("/dev/zero"); }).find("is a device"), std::string::npos);
  EXPECT_NE(message_of([] { ntp::io::read_file(fs::temp_directory_path().string()); }).find("is a folder"),
            std::string::npos);
  const fs::path fifo = scratch("fifo");
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opening a FIFO without a writer would block forever: it is refused before it is opened.
  EXPECT_NE(message_of([&] { ntp::io::read_file(fifo.string()); }).find("FIFO"), std::string::npos);
  EXPECT_NE(
      message_of([&] { ntp::io::refuse_special_file(fifo.string(), "the .npy file"); }).find("the .npy file"),
      std::string::npos);
  EXPECT_NO_THROW(ntp::io::refuse_special_file(scratch("missing").string(), "x"))
      << "missing: the caller says";
  EXPECT_FALSE(ntp::io::read_file(scratch("missing").string()).has_value());
  fs::remove(fifo);
}

TEST(Files, WritingNeverReplacesASpecialFile) {
  struct stat before {};
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  EXPECT_NE(message_of([] { ntp::io::write_file("/dev/null", "text"); }).find("would replace a device"),
            std::string::npos);
  struct stat after {};
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode)) << "/dev/null is still a device";
  EXPECT_NE(message_of([] { ntp::io::write_file(fs::temp_directory_path().string(), "x"); }).find("folder"),
            std::string::npos);
}

TEST(Files, WritesAreWholeOrNotAtAll) {
  const fs::path target = scratch("out.txt");
  ntp::io::write_file(target.string(), "first");
  ntp::io::write_file(target.string(), "second version");
  EXPECT_EQ(ntp::io::read_file(target.string()).value(), "second version");
  const fs::path folder = target.parent_path();
  for (const auto& entry : fs::directory_iterator(folder))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  // A missing folder: an error naming the file, and nothing left behind.
  const fs::path nowhere = folder / "no-such-folder" / "out.txt";
  EXPECT_NE(message_of([&] { ntp::io::write_file(nowhere.string(), "x"); }).find("cannot write"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(nowhere.parent_path()));
  fs::remove_all(folder);
}

// SIGKILL runs no handler, so a killed write leaves `<out>.tmp<pid>`; the next write to the same output
// removes it, and leaves a live process's temporary and other files alone.
TEST(Files, TheNextWriteRemovesTheTemporaryOfAKilledOne) {
  const fs::path target = scratch("killed.txt");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that no process has now
  const fs::path stale = fmt::format("{}.tmp{}", target.string(), child);
  const fs::path live = fmt::format("{}.tmp{}", target.string(), ::getppid());
  const fs::path other = fmt::format("{}.tmpfile", target.string());
  for (const fs::path& path : {stale, live, other})
    ntp::io::write_file(path.string(), "left");
  ntp::io::write_file(target.string(), "whole");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_EQ(ntp::io::read_file(target.string()).value(), "whole");
  fs::remove_all(target.parent_path());
}

TEST(Files, AFullStandardOutputIsAnError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (std::freopen("/dev/full", "w", stdout) == nullptr) ::_exit(3);
    try {
      ntp::io::write_stdout("a record nobody will read\n");
    } catch (const ntp::UserError&) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << "the write to /dev/full was not reported";
}

}  // namespace

namespace {

// Sizes are checked before they are used: a shape whose byte count would wrap (2^62 floats: 2^64 bytes, 0
// modulo 2^64) is an error, not an empty allocation (issue 16, classes 1 and 6).
TEST(Sizes, ByteCountsThatWouldWrapAreRefused) {
  EXPECT_EQ(ntp::byte_count({2, 3}, 4), 24);
  EXPECT_THROW(ntp::byte_count({std::int64_t{1} << 62}, 4), ntp::UserError);
  EXPECT_THROW(ntp::byte_count({(std::int64_t{1} << 60) + 3, 4}, 4), ntp::UserError);
  EXPECT_THROW(ntp::Tensor({std::int64_t{1} << 62}, ntp::DType::f32), ntp::UserError);
  try {
    ntp::Tensor({std::int64_t{1} << 50}, ntp::DType::f32);  // 4 PiB: fits in 64 bits, not in memory
    FAIL() << "a 4 PiB tensor was allocated";
  } catch (const ntp::UserError& error) {
    EXPECT_NE(error.diagnostic().message.find("cannot allocate"), std::string::npos) << error.what();
  }
}

}  // namespace
