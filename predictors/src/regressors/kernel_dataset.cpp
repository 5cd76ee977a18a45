#include "hwnas/predictors/regressors/kernel_dataset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"

namespace hwnas::predictors {

void KernelDataset::add(const FeatureVector& features, double ms) {
  x.push_back(features);
  latency_ms.push_back(ms);
}

KernelDataset KernelDataset::subset(const std::vector<std::size_t>& indices) const {
  KernelDataset out;
  out.x.reserve(indices.size());
  out.latency_ms.reserve(indices.size());
  for (std::size_t i : indices) {
    HWNAS_ASSERT(i < x.size(), "row {} out of {}", i, x.size());
    out.add(x[i], latency_ms[i]);
  }
  return out;
}

void KernelDataset::validate(const std::string& what) const {
  if (x.size() != latency_ms.size())
    fail("{}: {} feature rows but {} latencies", what, x.size(), latency_ms.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(std::isfinite(latency_ms[i]) && latency_ms[i] > 0))
      fail("{}: row {} has latency {} ms (must be a finite positive number)", what, i, latency_ms[i]);
    for (std::size_t j = 0; j < KernelFeatures::kSize; ++j)
      if (!std::isfinite(x[i][j]))
        fail("{}: row {} feature '{}' is {}", what, i, KernelFeatures::names()[j], x[i][j]);
  }
}

DatasetSplit split_dataset(const KernelDataset& data, SplitFractions fractions, std::uint64_t seed) {
  HWNAS_CHECK(fractions.train > 0 && fractions.validation >= 0 && fractions.train + fractions.validation <= 1.0,
              "bad split fractions train={} validation={} (need train > 0, validation >= 0, sum <= 1)",
              fractions.train, fractions.validation);
  HWNAS_CHECK(data.x.size() == data.latency_ms.size(), "dataset has {} feature rows but {} latencies",
              data.x.size(), data.latency_ms.size());
  const std::size_t n = data.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);

  const double test_fraction = 1.0 - fractions.train - fractions.validation;
  auto n_val = static_cast<std::size_t>(std::llround(fractions.validation * static_cast<double>(n)));
  auto n_test = static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(n)));
  if (n >= 3) {
    if (fractions.validation > 0) n_val = std::max<std::size_t>(n_val, 1);
    if (test_fraction > 1e-12) n_test = std::max<std::size_t>(n_test, 1);
  }
  n_val = std::min(n_val, n);
  n_test = std::min(n_test, n - n_val);
  const std::size_t n_train = n - n_val - n_test;

  DatasetSplit split;
  split.train = data.subset({order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_train)});
  split.validation = data.subset({order.begin() + static_cast<std::ptrdiff_t>(n_train),
                                  order.begin() + static_cast<std::ptrdiff_t>(n_train + n_val)});
  split.test = data.subset({order.begin() + static_cast<std::ptrdiff_t>(n_train + n_val), order.end()});
  return split;
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  for (auto& c : cells) {
    while (!c.empty() && (c.back() == '\r' || c.back() == ' ')) c.pop_back();
    while (!c.empty() && c.front() == ' ') c.erase(c.begin());
  }
  return cells;
}

double parse_number(const std::string& text, const std::filesystem::path& path, std::size_t line, std::string_view column) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty())
    fail("{}:{}: column '{}' is '{}', not a number", path.string(), line, column, text);
  return value;
}

}  // namespace

std::map<std::string, KernelDataset> read_kernel_csv(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) fail("cannot read kernel measurements '{}'", path.string());
  std::vector<std::string> expected = {"kernel_type"};
  for (auto name : KernelFeatures::names()) expected.emplace_back(name);
  expected.emplace_back("latency_ms");

  std::string line;
  if (!std::getline(file, line)) fail("{}: empty file (expected the header {})", path.string(), fmt::join(expected, ","));
  if (split_csv_line(line) != expected)
    fail("{}:1: header is '{}', expected '{}'", path.string(), line, fmt::join(expected, ","));

  std::map<std::string, KernelDataset> out;
  std::size_t line_no = 1;
  while (std::getline(file, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    const auto cells = split_csv_line(line);
    if (cells.size() != expected.size())
      fail("{}:{}: {} columns, expected {}", path.string(), line_no, cells.size(), expected.size());
    if (cells[0].empty()) fail("{}:{}: empty kernel_type", path.string(), line_no);
    FeatureVector x{};
    for (std::size_t j = 0; j < KernelFeatures::kSize; ++j)
      x[j] = parse_number(cells[j + 1], path, line_no, expected[j + 1]);
    const double ms = parse_number(cells.back(), path, line_no, "latency_ms");
    if (!(ms > 0) || !std::isfinite(ms))
      fail("{}:{}: latency_ms is {} (must be a finite positive number)", path.string(), line_no, cells.back());
    out[cells[0]].add(x, ms);
  }
  return out;
}

void write_kernel_csv(const std::map<std::string, KernelDataset>& datasets, const std::filesystem::path& path) {
  std::ofstream file(path);
  if (!file) fail("cannot write kernel measurements '{}'", path.string());
  file << "kernel_type";
  for (auto name : KernelFeatures::names()) file << ',' << name;
  file << ",latency_ms\n";
  for (const auto& [type, data] : datasets) {
    HWNAS_CHECK(data.x.size() == data.latency_ms.size(), "dataset '{}' has {} rows but {} latencies", type,
                data.x.size(), data.latency_ms.size());
    for (std::size_t i = 0; i < data.size(); ++i)
      file << fmt::format("{},{},{}\n", type, fmt::join(data.x[i], ","), data.latency_ms[i]);
  }
  if (!file) fail("error writing kernel measurements '{}'", path.string());
}

}  // namespace hwnas::predictors
