#include <gtest/gtest.h>

#include <string>

#include "error_of.h"
#include "hwnas/core/csv.h"

namespace hwnas::core {
namespace {

/// The message parse_csv throws for `text`.
std::string parse_error(std::string_view text) {
  return test::error_of([&] { parse_csv(text, "m.csv"); });
}

TEST(Csv, ReadsQuotedFieldsCrlfAndBlankLinesWithTheLineOfEachRow) {
  const CsvTable t = parse_csv("arch,latency_ms\r\n\"a,b\",1.5\r\n\r\n\"say \"\"hi\"\"\nthere\",2\n", "m.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"arch", "latency_ms"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"a,b", "1.5"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"say \"hi\"\nthere", "2"}));
  EXPECT_EQ(t.lines, (std::vector<int>{2, 4}));
}

TEST(Csv, LinesWrittenByCsvLineReadBackAsTheSameFields) {
  const std::vector<std::string> header{"arch", "note"};
  const std::vector<std::string> row{"|nor_conv_3x3~0|+|none~0|", "a \"quoted\", multi\nline note"};
  const CsvTable t = parse_csv(csv_line(header) + csv_line(row));
  EXPECT_EQ(t.header, header);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], row);
}

TEST(Csv, SkipsTheByteOrderMarkASpreadsheetWritesSoTheFirstColumnIsFound) {
  const CsvTable t = parse_csv("\xEF\xBB\xBF" "arch,latency_ms\nx,1\n", "m.csv");
  EXPECT_EQ(t.require_column("arch"), 0);
  EXPECT_EQ(t.rows.size(), 1u);
}

TEST(Csv, RejectsABinaryFileNamingTheLineOfItsFirstNulByte) {
  using namespace std::string_literals;  // keeps the NUL inside the string
  const std::string binary = "arch\nPK\x03\x04\n\x00\x01garbage"s;
  const std::string m = parse_error(binary);
  EXPECT_NE(m.find("m.csv: not a CSV text file (a NUL byte on line 3)"), std::string::npos) << m;
}

TEST(Csv, NamesTheFileAndLineOfARowWithTheWrongNumberOfFields) {
  EXPECT_NE(parse_error("a,b\n1,2\n3\n").find("m.csv:3: 1 fields, but the header has 2"), std::string::npos);
  EXPECT_NE(parse_error("a,b\n\"1,2\n").find("m.csv:2: unterminated quoted field"), std::string::npos);
  EXPECT_NE(parse_error("").find("m.csv: empty file"), std::string::npos);
}

TEST(Csv, AMissingColumnListsTheColumnsThatExist) {
  const CsvTable t = parse_csv("arch,latency_ms\n", "m.csv");
  EXPECT_EQ(test::error_of([&] { t.require_column("latency"); }),
            "m.csv: no column 'latency' (columns: arch, latency_ms)");
}

}  // namespace
}  // namespace hwnas::core
