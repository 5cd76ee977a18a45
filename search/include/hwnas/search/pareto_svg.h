#pragma once
/// A self-contained SVG scatter plot of a search: the first objective on the y axis against the
/// second on the x axis (with one objective: against evaluation order). Axes with ticks and labels,
/// every available candidate as a grey circle (infeasible ones lighter and hollow), the feasible
/// Pareto front drawn again on top as larger coloured circles joined by a line, dashed lines at
/// constraint bounds on the plotted objectives, and a legend. Front circles carry a <title> with the
/// architecture string (a tooltip in browsers).
///
/// Circle count: one per available candidate + one per front member.

#include <string>

#include "hwnas/search/search_result.h"

namespace hwnas::search {

std::string pareto_svg(const SearchResult& result);

}  // namespace hwnas::search
