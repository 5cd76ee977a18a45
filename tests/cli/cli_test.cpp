// Runs the real `hwnas` executable and checks what a user sees: output, one-line errors, exit codes.

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliRun hwnas(const std::string& args) {
  const std::string command = std::string(HWNAS_EXECUTABLE) + " " + args + " 2>&1";
  CliRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) run.output += buffer.data();
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST(Cli, ListsSpacesAndPlatforms) {
  const CliRun spaces = hwnas("spaces");
  EXPECT_EQ(spaces.exit_code, 0) << spaces.output;
  for (const char* name : {"nb201", "fbnet", "mobilenet", "vit"}) EXPECT_TRUE(contains(spaces.output, name));
  const CliRun platforms = hwnas("platforms");
  EXPECT_EQ(platforms.exit_code, 0);
  for (const char* name : {"libtorch-cpu-t1", "libtorch-cpu-t2", "torchscript-cpu-t1"})
    EXPECT_TRUE(contains(platforms.output, name)) << platforms.output;
}

TEST(Cli, MeasuresBothSpaces) {
  const CliRun nb201 = hwnas(
      "measure --platform libtorch-cpu-t1 --rounds 3 --space nb201 --arch "
      "'|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|skip_connect~2|'");
  EXPECT_EQ(nb201.exit_code, 0) << nb201.output;
  EXPECT_TRUE(contains(nb201.output, " ms (spread ")) << nb201.output;
  const CliRun fbnet = hwnas("measure --platform torchscript-cpu-t1 --rounds 3 --space fbnet --arch 8888888888888888888888");
  EXPECT_EQ(fbnet.exit_code, 0) << fbnet.output;
  EXPECT_TRUE(contains(fbnet.output, "on torchscript-cpu-t1:")) << fbnet.output;
}

TEST(Cli, BadInputIsOneClearLineAndNonZeroExit) {
  struct Case {
    std::string args;
    std::string must_name;
  };
  const Case cases[] = {
      {"measure --space nb201 --arch '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|'", "'conv'"},
      {"measure --space nb201 --arch '|none~0|+|none~0|none~1|+|none~0|none~1|none~5|'", "none~5"},
      {"measure --space fbnet --arch 012", "22 digits"},
      {"measure --space fbnet --arch 0123456789012345678901", "'9'"},
      {"measure --space nope --arch x", "valid: fbnet, mobilenet, nb201, vit"},
      {"measure --platform tpu --space fbnet --arch 0000000000000000000000", "valid: libtorch-cpu-t1"},
      {"measure --space nb201 --space-option dataset=svhn --arch x", "svhn"},
      {"measure --model /nonexistent.pt --input 1,3,32,32", "/nonexistent.pt"},
      {"measure --model x.pt --input 1,3,abc", "1,3,abc"},
      {"search /nonexistent.yaml", "/nonexistent.yaml"},
      {"--plugin /nonexistent.so spaces", "/nonexistent.so"},
      {"--plugin " + std::string(HWNAS_CONFIGS_DIR) + "/nb201_pixel3_evolution.yaml spaces", "nb201_pixel3_evolution"},
  };
  for (const auto& c : cases) {
    const CliRun run = hwnas(c.args);
    EXPECT_NE(run.exit_code, 0) << c.args;
    EXPECT_TRUE(contains(run.output, "hwnas: error: ")) << c.args << "\n" << run.output;
    EXPECT_TRUE(contains(run.output, c.must_name)) << c.args << "\n" << run.output;
    EXPECT_EQ(lines(run.output), 1) << c.args << "\n" << run.output;
  }
  EXPECT_NE(hwnas("measure --bogus-flag").exit_code, 0);
  EXPECT_NE(hwnas("").exit_code, 0);  // a verb is required
}

TEST(Cli, PluginSpacesWorkEverywhereABuiltInOneDoes) {
  const std::string plugin = std::string("--plugin ") + HWNAS_EXAMPLE_PLUGIN + " --plugin " + HWNAS_EXAMPLE_YAML_SPACE;
  const CliRun listed = hwnas(plugin + " spaces");
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_TRUE(contains(listed.output, "cifar_resnet")) << listed.output;
  EXPECT_TRUE(contains(listed.output, "tiny_resnet")) << listed.output;
  const CliRun plugins = hwnas(plugin + " plugins");
  EXPECT_TRUE(contains(plugins.output, "ABI 1")) << plugins.output;
  const CliRun measured = hwnas(plugin + " measure --rounds 2 --space cifar_resnet --arch d3,3,3:w16,32,64");
  EXPECT_EQ(measured.exit_code, 0) << measured.output;
  EXPECT_TRUE(contains(measured.output, "cifar_resnet d3,3,3:w16,32,64 on libtorch-cpu-t1")) << measured.output;
}

TEST(Cli, EveryShippedSearchConfigRuns) {
  const auto out = std::filesystem::temp_directory_path() / ("hwnas_cli_" + std::to_string(::getpid()));
  for (const auto& entry : std::filesystem::directory_iterator(HWNAS_CONFIGS_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("campaign_", 0) == 0) continue;  // campaigns run with `hwnas profile`, for minutes
    const CliRun run = hwnas("search --quiet " + entry.path().string() + " --out " + (out / name).string());
    EXPECT_EQ(run.exit_code, 0) << name << "\n" << run.output;
    EXPECT_TRUE(std::filesystem::exists(out / name / "pareto.svg")) << name;
  }
  std::filesystem::remove_all(out);
}

}  // namespace
