#include "hwnas/core/csv.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hwnas/core/error.h"
#include "hwnas/core/text.h"

namespace hwnas::core {

int CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

int CsvTable::require_column(std::string_view name) const {
  const int c = column(name);
  if (c < 0) fail("{}: no column '{}' (columns: {})", path.string(), name, fmt::join(header, ", "));
  return c;
}

CsvTable parse_csv(std::string_view text, const std::filesystem::path& path) {
  CsvTable table;
  table.path = path;
  // A spreadsheet saving "CSV UTF-8" starts the file with a byte-order mark, which would otherwise become
  // part of the first column's name (and `arch` would not be found).
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  // No text table holds a NUL byte; a binary file given where a CSV belongs (a .pt, a .db) would
  // otherwise be split into garbage fields and fail later with its bytes in the message.
  if (const auto line = detail::line_of_first_nul(text))
    fail("{}: not a CSV text file (a NUL byte on line {})", path.string(), *line);
  bool have_header = false;
  int line = 1;
  std::size_t i = 0;
  std::vector<std::string> fields;
  while (i < text.size()) {
    const int record_line = line;
    fields.clear();
    // One record: fields up to an unquoted newline (or the end).
    while (true) {
      std::string field;
      if (i < text.size() && text[i] == '"') {  // quoted: "" is a quote, newlines allowed
        ++i;
        while (true) {
          const std::size_t q = text.find('"', i);
          if (q == std::string_view::npos) fail("{}:{}: unterminated quoted field", path.string(), record_line);
          for (std::size_t k = i; k < q; ++k) line += text[k] == '\n';
          field.append(text.substr(i, q - i));
          i = q + 1;
          if (i < text.size() && text[i] == '"') {
            field += '"';
            ++i;
          } else {
            break;
          }
        }
        std::size_t end = i;
        while (end < text.size() && text[end] != ',' && text[end] != '\n') ++end;
        field.append(text.substr(i, end - i));  // tolerate text after the closing quote
        i = end;
      } else {
        std::size_t end = i;
        while (end < text.size() && text[end] != ',' && text[end] != '\n') ++end;
        field.assign(text.substr(i, end - i));
        i = end;
      }
      if (!field.empty() && field.back() == '\r') field.pop_back();
      fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size()) ++i, ++line;  // the newline
      break;
    }
    if (!have_header) {
      table.header = fields;
      have_header = true;
      continue;
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != table.header.size())
      fail("{}:{}: {} fields, but the header has {}", path.string(), record_line, fields.size(), table.header.size());
    table.rows.push_back(fields);
    table.lines.push_back(record_line);
  }
  if (!have_header) fail("{}: empty file, expected a header line", path.string());
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read CSV file '{}'", path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_csv(buffer.str(), path);
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  out += '\n';
  return out;
}

}  // namespace hwnas::core
