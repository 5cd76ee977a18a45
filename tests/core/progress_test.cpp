#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "hwnas/core/progress.h"

namespace hwnas::core {
namespace {

// A file is not a terminal: what a long run under nohup or CI writes its progress to.
struct LogFile {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::tmpfile(), &std::fclose};

  std::string text() const {
    std::fflush(file.get());
    std::rewind(file.get());
    std::string out;
    for (int c = std::fgetc(file.get()); c != EOF; c = std::fgetc(file.get())) out.push_back(static_cast<char>(c));
    return out;
  }
};

TEST(ProgressLine, InALogWritesOneLineEachTenthAndTheCompletion) {
  LogFile log;
  {
    ProgressLine line(true, 0.25, log.file.get());
    ASSERT_FALSE(line.terminal());
    for (std::size_t done = 1; done <= 95; ++done)
      if (line.due(done, 95)) line.update(fmt::format("{}/95", done), done, 95);
  }
  // 95 steps cross a new tenth at 10, 19, 29, 38, 48, 57, 67, 76, 86; the 95th is the completion.
  EXPECT_EQ(log.text(), "10/95\n19/95\n29/95\n38/95\n48/95\n57/95\n67/95\n76/95\n86/95\n95/95\n");
}

TEST(ProgressLine, InALogAlsoWritesALineWhenATenthTakesLongerThanTheLongestSilence) {
  LogFile log;
  {
    ProgressLine patient(true, 0.25, log.file.get());  // the default: 5 minutes
    patient.update("1/1000", 1, 1000);
    patient.update("2/1000", 2, 1000);  // no tenth crossed, no silence yet: nothing
  }
  EXPECT_EQ(log.text(), "");
  {
    ProgressLine quick(true, 0.25, log.file.get(), /*log_max_silence_seconds=*/0.5);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    quick.update("3/1000", 3, 1000);  // silent since it was made
    quick.update("4/1000", 4, 1000);  // just written: not again yet
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    quick.update("5/1000", 5, 1000);
  }
  EXPECT_EQ(log.text(), "3/1000\n5/1000\n");
}

TEST(ProgressLine, StartsEachNewStageAfreshAndHandlesAnEmptyOne) {
  LogFile log;
  ProgressLine line(true, 0.25, log.file.get());
  for (std::size_t done = 1; done <= 3; ++done) line.update(fmt::format("a {}/3", done), done, 3);
  line.update("b 0/0", 0, 0);  // nothing to do is complete at once
  for (std::size_t done = 1; done <= 2; ++done) line.update(fmt::format("c {}/2", done), done, 2);
  line.finish();  // a log's lines are already ended: nothing more
  EXPECT_EQ(log.text(), "a 1/3\na 2/3\na 3/3\nb 0/0\nc 1/2\nc 2/2\n");
}

TEST(ProgressLine, WorkWithoutATotalIsLoggedAtOnceThenEveryLogInterval) {
  LogFile log;
  ProgressLine line(true, 0.25, log.file.get());
  EXPECT_TRUE(line.due());
  line.update("round 1");
  EXPECT_FALSE(line.due());  // the next line waits kLogIntervalSeconds, not the terminal's redraw interval
  line.update("round 2");
  line.update("final", true);
  line.finish();
  EXPECT_TRUE(line.due());  // a finished line starts the next work with a line at once
  EXPECT_EQ(log.text(), "round 1\nfinal\n");
}

TEST(ProgressLine, DisabledShowsNothing) {
  LogFile log;
  ProgressLine line(false, 0.25, log.file.get());
  EXPECT_FALSE(line.due());
  EXPECT_FALSE(line.due(10, 10));
  line.update("a", true);
  line.update("b", 10, 10);
  line.finish();
  EXPECT_EQ(log.text(), "");
}

}  // namespace
}  // namespace hwnas::core
