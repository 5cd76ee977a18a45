#include "node_site.h"

#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace hwnas::frontends {

std::string module_path(const torch::jit::Node& node) {
  std::vector<std::string> parts;
  if (auto stack = node.callstack()) {
    for (const auto& entry : (*stack)->vec()) {
      const auto& instance = std::get<2>(entry);
      // "SELF" marks a method called on the module itself: no new path component.
      if (instance && !instance->instance_name().empty() && instance->instance_name() != "SELF")
        parts.push_back(instance->instance_name());
    }
  }
  return fmt::format("{}", fmt::join(parts, "."));
}

namespace {

// "file.py:12" of a range with a real file, or "" (TorchScript builtins compiled from strings report
// "<string>").
std::string real_file_line(const torch::jit::SourceRange& range) {
  if (auto where = range.file_line_col()) {
    const auto& [file, line, col] = *where;
    if (!file.empty() && file.front() != '<') return fmt::format("{}:{}", file, line);
  }
  return "";
}

// A loaded scripted model's ranges point into its serialized code (code/__torch__/...py inside the
// archive); its debug tables map them back to the Python source the user wrote, which is preferred.
std::string file_line(const torch::jit::SourceRange& range) {
  if (auto original = range.findSourceRangeThatGenerated())
    if (auto where = real_file_line(*original); !where.empty()) return where;
  return real_file_line(range);
}

}  // namespace

std::string source_location(const torch::jit::Node& node) {
  if (auto here = file_line(node.sourceRange()); !here.empty()) return here;
  // Inside an inlined builtin (torch._assert): the innermost call site with a real file.
  if (auto stack = node.callstack()) {
    auto entries = (*stack)->vec();
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
      if (auto site = file_line(std::get<1>(*it)); !site.empty()) return site;
  }
  return "";
}

std::string describe_node(const torch::jit::Node& node) {
  std::string text = node.kind().toQualString();
  if (auto path = module_path(node); !path.empty()) text += fmt::format(" in module '{}'", path);
  if (auto where = source_location(node); !where.empty()) text += fmt::format(" at {}", where);
  return text;
}

std::string first_line(const std::exception& error) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&error);
  std::string text = c10_error ? c10_error->what_without_backtrace() : error.what();
  // Skip blank lines and LibTorch's "The following operation failed..." preambles to the real reason.
  std::size_t start = 0;
  while (start < text.size() && (text[start] == '\n' || text[start] == ' ')) ++start;
  const auto end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace hwnas::frontends
