#pragma once
/// The output files of a search (in its output directory):
///   config.yaml    the effective config (defaults filled in, base_dir absolute)
///   candidates.csv `index,arch,<objectives...>,feasible,violation`, one row per evaluation, in order;
///                  an unavailable value is an empty field
///   pareto.csv     `index,arch,<objectives...>` of the feasible non-dominated front, best first
///   pareto.json    the same front with objective names and directions
///   best.json      best feasible architecture on the first objective (null and a message when none is
///                  feasible), and per objective the best under the constraints and unconstrained
///   pareto.svg     objective 1 (y) against objective 2 (x), see pareto_svg.h
///   checkpoint.json  for resuming (checkpoint.h)

#include <filesystem>
#include <string>

#include "hwnas/search/config.h"
#include "hwnas/search/search_result.h"

namespace hwnas::search {

std::string candidates_csv(const SearchResult& result);
std::string pareto_csv(const SearchResult& result);
std::string pareto_json(const SearchResult& result);
std::string best_json(const SearchResult& result);

/// Writes config.yaml, candidates.csv, pareto.csv, pareto.json, best.json and pareto.svg into `dir`.
void write_reports(const SearchResult& result, const SearchConfig& config, const std::filesystem::path& dir);

/// Shortest text that reads back as the same double; "" for NaN.
std::string format_value(double value);

}  // namespace hwnas::search
