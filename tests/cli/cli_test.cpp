// Runs the real `hwnas` executable and checks what a user sees: output, one-line errors, exit codes.

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "hwnas/core/cost.h"
#include "hwnas/core/csv.h"
#include "hwnas/spaces/nb201.h"

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

struct BadInput {
  std::string args;
  std::string must_name;  ///< what the message must name
};

/// `hwnas args` fails with exactly one line, "hwnas: error: ...", naming `must_name`.
void expect_one_clear_error(const std::string& args, const std::string& must_name) {
  const CliRun run = hwnas(args);
  EXPECT_NE(run.exit_code, 0) << args;
  EXPECT_TRUE(contains(run.output, "hwnas: error: ")) << args << "\n" << run.output;
  EXPECT_TRUE(contains(run.output, must_name)) << args << "\n" << run.output;
  EXPECT_EQ(lines(run.output), 1) << args << "\n" << run.output;
}

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
  const BadInput cases[] = {
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
      {"profile --recheck /nonexistent.db", "/nonexistent.db"},
      {"profile --watch-host", "--repeatability"},
      {"profile --repeatability --watch-host --host-tolerance 0", "tolerance"},
      {"--plugin /nonexistent.so spaces", "/nonexistent.so"},
      {"--plugin " + std::string(HWNAS_CONFIGS_DIR) + "/nb201_pixel3_evolution.yaml spaces", "nb201_pixel3_evolution"},
  };
  for (const auto& c : cases) expect_one_clear_error(c.args, c.must_name);
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

/// A scratch directory removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("hwnas_cli_" + std::to_string(::getpid()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Cli, PredictsArchitecturesACsvOfThemAndTorchScriptModels) {
  const CliRun one = hwnas(
      "predict --space nb201 --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
      "nor_conv_3x3~2|'");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_TRUE(contains(one.output, "ms predicted on libtorch-cpu-t1")) << one.output;

  ScratchDir dir;
  {
    std::ofstream csv(dir.path / "archs.csv");
    csv << "arch,note\n0000000000000000000000,a\n7777777777777777777777,b\n8888888888888888888888,c\n";
  }
  const CliRun many = hwnas("predict --space fbnet --archs " + (dir.path / "archs.csv").string() + " --out " +
                            (dir.path / "out.csv").string());
  EXPECT_EQ(many.exit_code, 0) << many.output;
  std::istringstream out(read_file(dir.path / "out.csv"));
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "arch,latency_ms");
  std::vector<double> ms;
  while (std::getline(out, line)) ms.push_back(std::stod(line.substr(line.find(',') + 1)));
  ASSERT_EQ(ms.size(), 3u);
  for (double v : ms) EXPECT_GT(v, 0);
  // k3_e1 blocks everywhere do a fraction of the work of k5_e6 ones; all-skip is the stem and head only.
  EXPECT_LT(ms[0], ms[1]);
  EXPECT_LT(ms[2], ms[0]);

  const std::filesystem::path model = std::filesystem::path(HWNAS_MODEL_ZOO) / "resnet18.script.pt";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no model zoo at " << HWNAS_MODEL_ZOO << " (scripts/test_fixtures.sh)";
  const CliRun resnet = hwnas("predict --model " + model.string() + " --input 1,3,64,64");
  EXPECT_EQ(resnet.exit_code, 0) << resnet.output;
  EXPECT_TRUE(contains(resnet.output, "ms predicted on libtorch-cpu-t1 (")) << resnet.output;
  const CliRun wrong_shape = hwnas("predict --model " + model.string() + " --input 1,1,64,64");
  EXPECT_NE(wrong_shape.exit_code, 0);
  EXPECT_TRUE(contains(wrong_shape.output, "hwnas: error: ")) << wrong_shape.output;
}

TEST(Cli, ExplainShowsEachKernelAloneAndWhatItAddsToTheNetwork) {
  // On frozen TorchScript a relu after a convolution runs inside the convolution's oneDNN group: the
  // shipped set's correction gives relu a scale of 0, so it adds nothing to the network.
  const CliRun run = hwnas(
      "predict --predictors torchscript-cpu-t1 --space nb201 --arch "
      "'|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' --explain");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::istringstream lines(run.output);
  std::string line;
  double alone = 0, in_network = 0, footer_alone = -1, footer_in_network = -1, overhead = 0, constant = 0, total = -1;
  std::size_t kernels = 0, relus = 0, footer_kernels = 0;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::size_t index;
    std::string type, by, h, w, cin, cout, k, stride;
    double ms, scaled;
    if (in >> index >> type >> by >> h >> w >> cin >> cout >> k >> stride >> ms >> scaled) {
      ++kernels;
      alone += ms;
      in_network += scaled;
      if (type == "relu") {
        ++relus;
        EXPECT_GT(ms, 0) << line;
        EXPECT_EQ(scaled, 0.0) << line;
      }
    } else if (std::sscanf(line.c_str(), "sum alone %lf ms; sum in network %lf ms, plus %lf ms x %zu kernels and %lf ms",
                           &footer_alone, &footer_in_network, &overhead, &footer_kernels, &constant) == 5) {
    } else if (const auto at = line.find(": "); at != std::string::npos && contains(line, "ms predicted on")) {
      total = std::stod(line.substr(at + 2));
    }
  }
  EXPECT_GT(relus, 0u);
  EXPECT_EQ(footer_kernels, kernels);
  // Rows are printed to 0.1 us; the footer and the total to the same rounding.
  EXPECT_NEAR(footer_alone, alone, 1e-4 * static_cast<double>(kernels));
  EXPECT_NEAR(footer_in_network, in_network, 1e-4 * static_cast<double>(kernels));
  EXPECT_NEAR(total, footer_in_network + overhead * static_cast<double>(kernels) + constant, 1e-3 + 1e-4 * static_cast<double>(kernels));
}

TEST(Cli, PredictorSetProblemsAreOneClearError) {
  ScratchDir dir;
  const std::filesystem::path shipped = std::filesystem::path(HWNAS_TEST_DATA_DIR) / "predictors/libtorch-cpu-t1";
  const std::string arch = " --space fbnet --arch 0000000000000000000000";
  auto copy_with_manifest = [&](const std::string& name, const std::string& from, const std::string& to) {
    const auto target = dir.path / name;
    std::filesystem::copy(shipped, target, std::filesystem::copy_options::recursive);
    std::string manifest = read_file(target / "manifest.json");
    const auto at = manifest.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    manifest.replace(at, from.size(), to);
    std::ofstream(target / "manifest.json") << manifest;
    return target.string();
  };
  {
    std::filesystem::create_directories(dir.path / "corrupt");
    std::ofstream(dir.path / "corrupt/manifest.json") << "{\"format\": ";
    std::ofstream(dir.path / "not_torchscript.pt") << "plain text";
  }
  // The shipped set's own schema version, whatever it is now, replaced by a long-gone one.
  const std::string shipped_schema = [&] {
    const std::string manifest = read_file(shipped / "manifest.json");
    const std::string key = "\"feature_schema_version\": ";
    const auto at = manifest.find(key);
    return at == std::string::npos ? key : manifest.substr(at, manifest.find_first_of(",\n", at) - at);
  }();
  const std::string schema = copy_with_manifest("schema", shipped_schema, "\"feature_schema_version\": 1");
  const std::string truncated = copy_with_manifest("truncated", "\"file\": \"conv.cbor\"", "\"file\": \"conv.cbor\"");
  std::filesystem::resize_file(dir.path / "truncated/conv.cbor", 100);
  const std::string foreign = copy_with_manifest("foreign", "\"cpu_model\": \"", "\"cpu_model\": \"Other CPU ");
  const BadInput cases[] = {
      {"predict --predictors /nonexistent/set" + arch, "/nonexistent/set"},
      {"predict --predictors " + (dir.path / "corrupt").string() + arch, "malformed JSON"},
      {"predict --predictors " + schema + arch, "feature schema version 1"},
      {"predict --predictors " + truncated + arch, "conv.cbor"},
      {"eval --predictors " + foreign, "Other CPU"},
      {"predict --model " + (dir.path / "not_torchscript.pt").string() + " --input 1,3,32,32", "not a TorchScript file"},
      {"predict --space nb201 --archs /nonexistent.csv", "/nonexistent.csv"},
      {"train --platform tpu-v9 --out " + (dir.path / "x").string(), "tpu-v9"},
  };
  for (const auto& c : cases) expect_one_clear_error(c.args, c.must_name);
}

TEST(Cli, TrainsAPredictorSetFromTheStoreAndEvaluatesIt) {
  ScratchDir dir;
  const std::string out = (dir.path / "linear").string();
  const CliRun train = hwnas("train --regressor linear --out " + out);
  ASSERT_EQ(train.exit_code, 0) << train.output;
  EXPECT_TRUE(contains(train.output, "per-model correction on")) << train.output;
  EXPECT_TRUE(std::filesystem::exists(dir.path / "linear/manifest.json"));
  const auto kernels_csv = dir.path / "kernels.csv";
  const CliRun eval = hwnas("eval --baselines linear --predictors " + out + " --kernels-csv " + kernels_csv.string());
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  for (const char* row : {"conv ", "all ", "all>=50us", "fbnet ", "nb201 ", "graph "})
    EXPECT_TRUE(contains(eval.output, row)) << row << "\n" << eval.output;
  // One line per held-out kernel: as many as the "all" row counts.
  std::ifstream csv(kernels_csv);
  std::string header;
  ASSERT_TRUE(std::getline(csv, header));
  EXPECT_EQ(header.rfind("type,h,w,cin,cout,", 0), 0u) << header;
  EXPECT_TRUE(contains(header, ",measured_ms,predicted_ms,error")) << header;
  std::size_t lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  std::size_t all_count = 0;
  std::istringstream table(eval.output);
  for (std::string line; std::getline(table, line);)
    if (line.rfind("all ", 0) == 0 && all_count == 0) all_count = std::stoul(line.substr(4));  // kernels' table first
  EXPECT_EQ(lines, all_count);
  EXPECT_GT(lines, 100u);
}

TEST(Cli, CalibratesANewDeviceFromAFewMeasuredArchitecturesAndPredictsWithIt) {
  ScratchDir dir;
  {
    // Six FBNet architectures with their gold_6240 latencies (data/tables/fbnet_latency.csv, rows 0-5).
    std::ofstream csv(dir.path / "measured.csv");
    csv << "arch,latency_ms\n7818488874147327324245,30.934024964608252\n";
    std::ifstream table(std::filesystem::path(HWNAS_TEST_DATA_DIR) / "tables/fbnet_latency.csv");
    std::string line;
    std::getline(table, line);
    std::getline(table, line);  // row 0, written above
    for (int i = 0; i < 5 && std::getline(table, line); ++i) {
      std::vector<std::string> f;
      std::stringstream fields(line);
      for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
      csv << f[1] << "," << f[12] << "\n";  // arch_ops, gold_6240_ms
    }
  }
  const std::string device = (dir.path / "gold").string();
  const CliRun calibrate = hwnas("calibrate --space fbnet --measurements " + (dir.path / "measured.csv").string() +
                                 " --out " + device);
  ASSERT_EQ(calibrate.exit_code, 0) << calibrate.output;
  EXPECT_TRUE(contains(calibrate.output, "calibrated from 6 measured architectures")) << calibrate.output;
  const CliRun one = hwnas("predict --predictors " + device + " --space fbnet --arch 7818488874147327324245");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_TRUE(contains(one.output, "ms predicted on the device of")) << one.output;
  expect_one_clear_error("predict --predictors " + device + " --space nb201 --arch x", "calibrated for space 'fbnet'");
  {
    std::ofstream(dir.path / "short.csv") << "arch,latency_ms\n0000000000000000000000,1\n";
  }
  expect_one_clear_error("calibrate --space fbnet --out " + device + " --measurements " + (dir.path / "short.csv").string(),
                         "at least 5");
}

TEST(Cli, CalibratePlatformRejectsBadArgumentsBeforeMeasuring) {
  ScratchDir dir;
  const std::string out = (dir.path / "set").string();
  expect_one_clear_error("calibrate --platform gpu-t9 --out " + out, "'gpu-t9'");
  expect_one_clear_error("calibrate --platform libtorch-cpu-t1 --budget 10x --out " + out, "--budget '10x'");
  expect_one_clear_error("calibrate --platform libtorch-cpu-t1 --samples 3 --out " + out, "--samples 3");
  expect_one_clear_error("calibrate --out " + out, "--platform");
  expect_one_clear_error("calibrate --platform libtorch-cpu-t1 --pool " + out + " --out " + out, out);
}

TEST(Cli, PrecomputesAProxyTableAndResumesIt) {
  ScratchDir dir;
  const auto out = dir.path / "proxies.csv";
  const std::string command =
      "proxies --space nb201 --sample 4 --proxies params,flops,l2_norm,synflow --jobs 2 --out " + out.string();
  const CliRun run = hwnas(command);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "4 rows computed, 0 reused")) << run.output;

  const hwnas::core::CsvTable table = hwnas::core::read_csv(out);
  EXPECT_EQ(table.header, (std::vector<std::string>{"arch", "synflow", "l2_norm", "params", "flops"}));
  ASSERT_EQ(table.rows.size(), 4u);
  const hwnas::spaces::Nb201Space space;
  std::set<std::string> archs;
  for (const auto& row : table.rows) {
    archs.insert(row[0]);
    // params and flops are the IR's counts of one sample, in millions (proxies of the untrained net).
    const hwnas::core::OpCost cost = hwnas::core::graph_cost(space.to_graph(space.from_string(row[0]), 1));
    EXPECT_EQ(std::stod(row[3]), static_cast<double>(cost.params) / 1e6) << row[0];
    EXPECT_EQ(std::stod(row[4]), cost.flops / 1e6) << row[0];
    EXPECT_GT(std::stod(row[1]), 0) << row[0];
    EXPECT_GT(std::stod(row[2]), 0) << row[0];
  }
  EXPECT_EQ(archs.size(), 4u);  // distinct

  // The same command again finds every row and computes nothing.
  const std::string before = read_file(out);
  const CliRun again = hwnas(command);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "0 rows computed, 4 reused")) << again.output;
  EXPECT_EQ(read_file(out), before);

  expect_one_clear_error("proxies --space nb201 --sample 4 --proxies params,synflw --out " + out.string(),
                         "unknown zero-cost proxy 'synflw'; valid: grad_norm");
  expect_one_clear_error("proxies --space nb201 --sample 4 --proxies params --out " + out.string(),
                         "holds the proxies synflow,l2_norm,params,flops but params were requested");
  expect_one_clear_error("proxies --space fbnet --all --out " + (dir.path / "fbnet.csv").string(), "--all");
  expect_one_clear_error("proxies --space nb201 --out " + (dir.path / "none.csv").string(),
                         "exactly one of --all, --archs FILE.csv, --sample N");
  EXPECT_FALSE(std::filesystem::exists(dir.path / "fbnet.csv"));
}

}  // namespace
