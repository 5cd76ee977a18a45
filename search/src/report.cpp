#include "hwnas/search/report.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hwnas/search/checkpoint.h"
#include "hwnas/core/csv.h"
#include "hwnas/search/pareto_svg.h"

namespace hwnas::search {

std::string format_value(double value) {
  if (std::isnan(value)) return "";
  return fmt::format("{}", value);
}

namespace {

std::vector<std::string> header(const SearchResult& r) {
  std::vector<std::string> h{"index", "arch"};
  for (const auto& o : r.objectives) h.push_back(o.name);
  return h;
}

std::vector<std::string> row(const Evaluated& c) {
  std::vector<std::string> fields{std::to_string(c.index), c.arch_string};
  for (double v : c.values) fields.push_back(format_value(v));
  return fields;
}

nlohmann::json entry(const SearchResult& r, const Evaluated& c) {
  nlohmann::json values = nlohmann::json::object();
  for (std::size_t j = 0; j < r.objectives.size(); ++j)
    values[r.objectives[j].name] = is_available(c.values[j]) ? nlohmann::json(c.values[j]) : nlohmann::json(nullptr);
  return {{"index", c.index}, {"arch", c.arch_string}, {"values", values}, {"feasible", c.feasible()}};
}

nlohmann::json entry_or_null(const SearchResult& r, std::optional<std::size_t> i) {
  return i ? entry(r, r.candidates[*i]) : nlohmann::json(nullptr);
}

nlohmann::json header_json(const SearchResult& r) {
  nlohmann::json j;
  j["space"] = r.space;
  j["strategy"] = r.strategy;
  nlohmann::json objectives = nlohmann::json::array();
  for (const auto& o : r.objectives)
    objectives.push_back({{"name", o.name}, {"direction", std::string(direction_name(o.direction))},
                          {"description", o.description}});
  j["objectives"] = objectives;
  nlohmann::json constraints = nlohmann::json::array();
  for (const auto& c : r.constraints) constraints.push_back(c.to_string());
  j["constraints"] = constraints;
  return j;
}

}  // namespace

std::string candidates_csv(const SearchResult& r) {
  auto h = header(r);
  h.push_back("feasible");
  h.push_back("violation");
  std::string out = core::csv_line(h);
  for (const auto& c : r.candidates) {
    auto fields = row(c);
    fields.push_back(c.feasible() ? "1" : "0");
    fields.push_back(std::isinf(c.violation) ? "inf" : format_value(c.violation));
    out += core::csv_line(fields);
  }
  return out;
}

std::string pareto_csv(const SearchResult& r) {
  std::string out = core::csv_line(header(r));
  for (std::size_t i : r.pareto) out += core::csv_line(row(r.candidates[i]));
  return out;
}

std::string pareto_json(const SearchResult& r) {
  nlohmann::json j = header_json(r);
  nlohmann::json front = nlohmann::json::array();
  for (std::size_t i : r.pareto) front.push_back(entry(r, r.candidates[i]));
  j["front"] = front;
  return j.dump(2) + "\n";
}

std::string best_json(const SearchResult& r) {
  nlohmann::json j = header_json(r);
  j["evaluations"] = r.candidates.size();
  j["feasible_count"] = r.feasible_count;
  j["stop_reason"] = std::string(stop_reason_name(r.stop_reason));
  j["best"] = entry_or_null(r, r.best);
  if (!r.best)
    j["message"] = fmt::format("no feasible architecture found among {} evaluated", r.candidates.size());
  nlohmann::json per = nlohmann::json::object();
  for (std::size_t o = 0; o < r.objectives.size(); ++o)
    per[r.objectives[o].name] = {{"constrained", entry_or_null(r, r.best_on(o, true))},
                                 {"unconstrained", entry_or_null(r, r.best_on(o, false))}};
  j["per_objective"] = per;
  return j.dump(2) + "\n";
}

void write_reports(const SearchResult& result, const SearchConfig& config, const std::filesystem::path& dir) {
  ensure_directory(dir);
  write_file_atomic(dir / "config.yaml", "# effective config of an hwnas search\n" + to_yaml(config));
  write_file_atomic(dir / "candidates.csv", candidates_csv(result));
  write_file_atomic(dir / "pareto.csv", pareto_csv(result));
  write_file_atomic(dir / "pareto.json", pareto_json(result));
  write_file_atomic(dir / "best.json", best_json(result));
  write_file_atomic(dir / "pareto.svg", pareto_svg(result));
}

}  // namespace hwnas::search
