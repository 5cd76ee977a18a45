// Imports every TorchScript file of a model zoo exported by scripts/export_model_zoo.py (torchvision models,
// scripted and traced) and checks two facts PyTorch recorded in the zoo's manifest.json: the output shape
// and the parameter count (sum of p.numel() over the module's parameters). The zoo is found through the
// environment variable HWNAS_MODEL_ZOO_DIR, else the directory configured in CMake; without one the test
// is skipped. HWNAS_MODEL_ZOO_MODELS=resnet18,vit_b_16 restricts it to some models.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hwnas/core/cost.h"
#include "hwnas/core/error.h"
#include "hwnas/frontends/torchscript_import.h"

namespace hwnas::frontends {
namespace {

namespace fs = std::filesystem;

fs::path zoo_dir() {
  if (const char* env = std::getenv("HWNAS_MODEL_ZOO_DIR"); env && *env) return env;
  return HWNAS_MODEL_ZOO_DIR;
}

bool selected(const std::string& model) {
  const char* env = std::getenv("HWNAS_MODEL_ZOO_MODELS");
  if (!env || !*env) return true;
  std::stringstream list(env);
  for (std::string name; std::getline(list, name, ',');)
    if (name == model) return true;
  return false;
}

nlohmann::json manifest_or_skip(const fs::path& dir) {
  const fs::path file = dir / "manifest.json";
  std::ifstream in(file);
  if (!in) return nullptr;
  return nlohmann::json::parse(in);
}

#define SKIP_WITHOUT_ZOO(manifest, dir)                                               \
  if ((manifest).is_null())                                                           \
  GTEST_SKIP() << "no model zoo at " << (dir) << " (make one with: /usr/bin/python3 " \
               << "scripts/export_model_zoo.py " << (dir) << ", or set HWNAS_MODEL_ZOO_DIR)"

TEST(ModelZoo, EveryModelImportsWithPyTorchsOutputShapeAndParameterCount) {
  const fs::path dir = zoo_dir();
  const auto manifest = manifest_or_skip(dir);
  SKIP_WITHOUT_ZOO(manifest, dir);
  int imported = 0;
  for (const auto& entry : manifest.at("models")) {
    const auto name = entry.at("name").get<std::string>();
    const auto file = entry.at("file").get<std::string>();
    if (!selected(name)) continue;
    SCOPED_TRACE(file);
    const auto input = entry.at("input_shape").get<core::Shape>();
    const auto start = std::chrono::steady_clock::now();
    try {
      const core::Graph g = import_torchscript(dir / file, input);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ASSERT_FALSE(g.outputs().empty());
      // A scripted googlenet returns (logits, None, None): the first output is the classifier's.
      EXPECT_EQ(g.shape(g.outputs()[0]), entry.at("output_shape").get<core::Shape>());
      EXPECT_EQ(core::graph_cost(g).params, entry.at("params").get<std::int64_t>());
      std::cout << fmt::format("  {:32} {:>4} nodes {:>10} params  {:6.2f} s\n", file, g.size(),
                               core::graph_cost(g).params, seconds);
      ++imported;
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GT(imported, 0) << "HWNAS_MODEL_ZOO_MODELS selected no model of " << dir / "manifest.json";
}

TEST(ModelZoo, ModelsWithUnsupportedOpsAreRejectedNamingTheOp) {
  const fs::path dir = zoo_dir();
  const auto manifest = manifest_or_skip(dir);
  SKIP_WITHOUT_ZOO(manifest, dir);
  for (const auto& entry : manifest.at("error_cases")) {
    const auto file = entry.at("file").get<std::string>();
    SCOPED_TRACE(file);
    try {
      import_torchscript(dir / file, entry.at("input_shape").get<core::Shape>());
      ADD_FAILURE() << "imported, but it uses " << entry.at("error_contains");
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(entry.at("error_contains").get<std::string>()), std::string::npos) << message;
      EXPECT_NE(message.find("supported ops: "), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace hwnas::frontends
