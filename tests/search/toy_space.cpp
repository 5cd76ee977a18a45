#include "toy_space.h"

#include <cmath>
#include <csignal>
#include <mutex>

#include "hwnas/core/error.h"

namespace hwnas::search::test {

std::atomic<long> g_interrupt_after{0};
std::atomic<long> g_toy_evaluations{0};

std::string ToySpace::to_string(const spaces::Arch& arch) const {
  std::string s;
  for (int g : arch.genes) s += static_cast<char>('0' + g);
  return s;
}

spaces::Arch ToySpace::from_string(std::string_view text) const {
  spaces::Arch arch;
  for (char c : text) {
    if (c < '0' || c > '3') fail("toy: bad gene '{}' in '{}' (valid: 0-3)", c, text);
    arch.genes.push_back(c - '0');
  }
  validate(arch);
  return arch;
}

core::Graph ToySpace::to_graph(const spaces::Arch& arch, std::int64_t batch) const {
  validate(arch);
  core::Graph g("toy");
  core::NodeId x = g.input(input_shape(batch));
  for (int gene : arch.genes) {
    core::Conv2dAttrs conv;
    conv.out_channels = 2 * (gene + 1);
    conv.kernel = 1;
    x = g.conv2d(x, conv);
  }
  g.mark_output(x);
  return g;
}

double toy_latency(const spaces::Arch& arch) {
  double l = 0;
  for (std::size_t i = 0; i < arch.genes.size(); ++i) l += (1 + arch.genes[i]) * (1 + i / 8.0);
  return l;
}

double toy_accuracy(const spaces::Arch& arch) {
  double a = 0;
  const std::size_t n = arch.genes.size();
  for (std::size_t i = 0; i < n; ++i) {
    a += std::sqrt(static_cast<double>(arch.genes[i])) * (1 + static_cast<double>((3 * i) % 8) / 8.0);
    if (arch.genes[i] == arch.genes[(i + 1) % n]) a += 0.5;
  }
  return a;
}

namespace {

class ToyObjective : public Objective {
 public:
  ToyObjective(std::string name, bool accuracy, Direction direction)
      : name_(std::move(name)), accuracy_(accuracy), direction_(direction) {}
  std::string name() const override { return name_; }
  Direction direction() const override { return direction_; }
  std::vector<double> evaluate(const std::vector<spaces::Arch>& archs, const spaces::SearchSpace&) const override {
    std::vector<double> out;
    for (const auto& a : archs) out.push_back(accuracy_ ? toy_accuracy(a) : toy_latency(a));
    const long total = g_toy_evaluations.fetch_add(static_cast<long>(archs.size())) + static_cast<long>(archs.size());
    if (accuracy_) {
      const long after = g_interrupt_after.load();
      long expected = after;
      if (after > 0 && total >= after && g_interrupt_after.compare_exchange_strong(expected, 0)) std::raise(SIGINT);
    }
    return out;
  }

 private:
  std::string name_;
  bool accuracy_;
  Direction direction_;
};

}  // namespace

void register_toy() {
  static std::once_flag once;
  std::call_once(once, [] {
    spaces::space_registry().add("toy", [](const spaces::SpaceOptions& options) -> std::unique_ptr<spaces::SearchSpace> {
      spaces::reject_unknown_options("toy", options, {"genes"});
      const int genes = options.count("genes") ? std::stoi(options.at("genes")) : 8;
      return std::make_unique<ToySpace>(genes);
    });
    objective_registry().add("toy_latency", [](const ObjectiveSpec& spec, const ObjectiveContext&) -> std::unique_ptr<Objective> {
      return std::make_unique<ToyObjective>(spec.name, false, spec.direction.value_or(Direction::kMinimize));
    });
    objective_registry().add("toy_accuracy", [](const ObjectiveSpec& spec, const ObjectiveContext&) -> std::unique_ptr<Objective> {
      return std::make_unique<ToyObjective>(spec.name, true, spec.direction.value_or(Direction::kMaximize));
    });
  });
}

}  // namespace hwnas::search::test
