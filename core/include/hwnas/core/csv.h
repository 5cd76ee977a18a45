#pragma once
/// Minimal CSV (RFC 4180: comma separated, fields with a comma, quote or newline are double-quoted,
/// quotes doubled), enough for the tables and reports of a search.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace hwnas::core {

struct CsvTable {
  std::filesystem::path path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  ///< 1-based file line of each row, for messages

  /// Index of a header column, or -1.
  int column(std::string_view name) const;
  /// Like column() but throws hwnas::Error naming the file and listing the columns.
  int require_column(std::string_view name) const;
};

/// Reads a CSV file with a header line; throws hwnas::Error naming the file (and line) when it cannot
/// be read, is not text (a NUL byte) or a row has a different number of fields than the header. A
/// leading UTF-8 byte-order mark (spreadsheets write one) is skipped; blank lines and CRLF are accepted.
CsvTable read_csv(const std::filesystem::path& path);
CsvTable parse_csv(std::string_view text, const std::filesystem::path& path_for_messages = {});

/// A field as written in CSV (quoted when needed).
std::string csv_field(std::string_view text);
/// One CSV line (with trailing newline) of fields.
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace hwnas::core
