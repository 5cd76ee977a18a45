#pragma once
// A small XML well-formedness check for the SVG test (no XML library is a dependency of hwnas):
// one root element, tags nested and closed in order, attribute values quoted, `&` only in entities,
// no `<` in text or attributes.

#include <string>
#include <string_view>
#include <vector>

namespace hwnas::search::test {

/// Returns "" when `xml` is well-formed, else a description of the first problem.
inline std::string xml_problem(std::string_view xml) {
  std::vector<std::string> stack;
  std::size_t i = 0, roots = 0;
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.'; };
  auto check_text = [](std::string_view text) -> std::string {
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '<') return "'<' in text";
      if (text[k] == '&') {
        const auto semi = text.find(';', k);
        const std::string_view entity = text.substr(k, semi == std::string_view::npos ? 0 : semi - k + 1);
        if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" && entity != "&apos;")
          return "bad entity near " + std::string(text.substr(k, 8));
      }
    }
    return "";
  };
  if (xml.substr(0, 5) == "<?xml") {
    i = xml.find("?>");
    if (i == std::string_view::npos) return "unterminated XML declaration";
    i += 2;
  }
  while (i < xml.size()) {
    const std::size_t lt = xml.find('<', i);
    const std::string_view text = xml.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i);
    if (stack.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) return "text outside the root";
    if (auto p = check_text(text); !p.empty()) return p;
    if (lt == std::string_view::npos) break;
    i = lt + 1;
    const bool closing = i < xml.size() && xml[i] == '/';
    if (closing) ++i;
    const std::size_t name_start = i;
    while (i < xml.size() && is_name(xml[i])) ++i;
    const std::string name(xml.substr(name_start, i - name_start));
    if (name.empty()) return "tag without a name";
    if (closing) {
      while (i < xml.size() && xml[i] == ' ') ++i;
      if (i >= xml.size() || xml[i] != '>') return "bad closing tag " + name;
      if (stack.empty() || stack.back() != name) return "closing " + name + " does not match";
      stack.pop_back();
      ++i;
      continue;
    }
    // Attributes: name="value" (or 'value').
    while (true) {
      while (i < xml.size() && (xml[i] == ' ' || xml[i] == '\n' || xml[i] == '\t')) ++i;
      if (i >= xml.size()) return "unterminated tag " + name;
      if (xml[i] == '>' || (xml[i] == '/' && i + 1 < xml.size() && xml[i + 1] == '>')) break;
      const std::size_t a = i;
      while (i < xml.size() && is_name(xml[i])) ++i;
      if (a == i || i >= xml.size() || xml[i] != '=') return "bad attribute in " + name;
      ++i;
      if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) return "unquoted attribute in " + name;
      const char quote = xml[i++];
      const std::size_t end = xml.find(quote, i);
      if (end == std::string_view::npos) return "unterminated attribute in " + name;
      if (auto p = check_text(xml.substr(i, end - i)); !p.empty()) return p + " (attribute of " + name + ")";
      i = end + 1;
    }
    if (stack.empty() && ++roots > 1) return "more than one root element";
    if (xml[i] == '/') {
      i += 2;
    } else {
      stack.push_back(name);
      ++i;
    }
  }
  if (!stack.empty()) return "unclosed " + stack.back();
  if (roots != 1) return "no root element";
  return "";
}

/// Number of occurrences of `needle` in `text`.
inline std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = text.find(needle); p != std::string_view::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace hwnas::search::test
