#include "hwnas/core/yaml_reader.h"

#include <fstream>
#include <sstream>

#include "hwnas/core/text.h"

namespace hwnas::core {

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  // yaml-cpp would read a binary file's first bytes as a broken escape and print them in its message.
  if (const auto line = detail::line_of_first_nul(text))
    fail("{}: not a YAML text file (a NUL byte on line {})", source, *line);
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail("{}:{}:{}: invalid YAML: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

YAML::Node load_yaml_file(const std::filesystem::path& path, std::string* text) {
  std::ifstream in(path);
  if (!in) fail("cannot read '{}'", path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (text) *text = buffer.str();
  return parse_yaml(buffer.str(), path.string());
}

}  // namespace hwnas::core
