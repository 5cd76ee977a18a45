#include "hwnas/devices/measurement_store.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hwnas/core/error.h"

namespace hwnas::devices {
namespace {

namespace fs = std::filesystem;

/// Runs statements on a file through the raw C API, as another program (or a tamperer) would.
void raw_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// Expects `action` to throw hwnas::Error whose message holds every one of `parts`.
template <typename Action>
void expect_error(Action&& action, const std::vector<std::string>& parts) {
  try {
    action();
    ADD_FAILURE() << "no hwnas::Error thrown; expected one mentioning " << parts.front();
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

/// A plausible row; `i` varies the config and the numbers.
StoredMeasurement row(int i, const std::string& platform = "cpu-a-t1", const std::string& kernel = "conv-bn-relu",
                      const std::string& campaign = "") {
  StoredMeasurement m;
  m.platform_key = platform;
  m.platform_json = R"({"cpu":"Test CPU @ 2.0GHz","cores":2,"threads":1,"engine":"libtorch"})";
  m.kernel_type = kernel;
  m.config_key = R"({"hw":)" + std::to_string(8 + i) + R"(,"cin":16,"cout":32,"k":3,"s":1})";
  m.campaign = campaign;
  m.median_ms = 0.25 + 0.125 * i;
  m.spread = 0.01;
  m.repeats = 20;
  m.min_ms = 0.2 + 0.125 * i;
  m.mean_ms = 0.3 + 0.125 * i;
  m.timestamp_unix = 1700000000 + i;
  return m;
}

void expect_same(const StoredMeasurement& a, const StoredMeasurement& b) {
  EXPECT_EQ(a.platform_key, b.platform_key);
  EXPECT_EQ(a.platform_json, b.platform_json);
  EXPECT_EQ(a.kernel_type, b.kernel_type);
  EXPECT_EQ(a.config_key, b.config_key);
  EXPECT_EQ(a.campaign, b.campaign);
  EXPECT_EQ(a.median_ms, b.median_ms);
  EXPECT_EQ(a.spread, b.spread);
  EXPECT_EQ(a.repeats, b.repeats);
  EXPECT_EQ(a.min_ms, b.min_ms);
  EXPECT_EQ(a.mean_ms, b.mean_ms);
  EXPECT_EQ(a.timestamp_unix, b.timestamp_unix);
}

/// An independent RFC 4180 reader (quoted fields, doubled quotes, line breaks inside quotes).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c == '\n') {
      fields.push_back(field);
      field.clear();
      rows.push_back(fields);
      fields.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  EXPECT_TRUE(field.empty() && fields.empty()) << "last line has no line break";
  return rows;
}

class MeasurementStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hwnas-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(MeasurementStoreTest, RoundTripsEveryFieldAcrossReopen) {
  const fs::path file = dir_ / "m.db";
  StoredMeasurement m = row(3, "host-7f3a", "network", "campaign \"one\", part 2");
  m.config_key = "{\"arch\":\"|nor_conv_3x3~0|+|skip,x~0|\"}\nsecond line ü";  // commas, quotes, newline, UTF-8
  m.spread = 0.0;
  m.repeats = 1;
  m.min_ms = m.median_ms;
  {
    auto store = MeasurementStore::open(file);
    EXPECT_EQ(store.path(), file);
    store.put(m);
    const auto found = store.find(m.platform_key, m.kernel_type, m.config_key);
    ASSERT_TRUE(found.has_value());
    expect_same(*found, m);
    EXPECT_EQ(found->replaced_count, 0);
  }
  const auto reopened = MeasurementStore::open(file, /*create_if_missing=*/false);
  const auto found = reopened.find(m.platform_key, m.kernel_type, m.config_key);
  ASSERT_TRUE(found.has_value());
  expect_same(*found, m);
  EXPECT_TRUE(reopened.contains(m.platform_key, m.kernel_type, m.config_key));
  // Each part of the key matters.
  EXPECT_FALSE(reopened.contains("other", m.kernel_type, m.config_key));
  EXPECT_FALSE(reopened.contains(m.platform_key, "conv-bn-relu", m.config_key));
  EXPECT_FALSE(reopened.contains(m.platform_key, m.kernel_type, m.config_key + " "));
  EXPECT_FALSE(reopened.find("other", m.kernel_type, m.config_key).has_value());
}

TEST_F(MeasurementStoreTest, InMemoryStoresAreSeparateAndLeaveNoFile) {
  const StoredMeasurement m = row(1);
  auto first = MeasurementStore::in_memory();
  auto second = MeasurementStore::in_memory();
  first.put(m);
  const auto found = first.find(m.platform_key, m.kernel_type, m.config_key);
  ASSERT_TRUE(found.has_value());
  expect_same(*found, m);
  EXPECT_FALSE(second.contains(m.platform_key, m.kernel_type, m.config_key));
  EXPECT_EQ(first.path(), ":memory:");
  EXPECT_FALSE(fs::exists(":memory:"));
}

TEST_F(MeasurementStoreTest, FillsTimestampWhenZero) {
  auto store = MeasurementStore::open(dir_ / "m.db");
  StoredMeasurement m = row(0);
  m.timestamp_unix = 0;
  const auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now();
  store.put(m);
  const std::int64_t after = now();
  const auto found = store.find(m.platform_key, m.kernel_type, m.config_key);
  ASSERT_TRUE(found.has_value());
  EXPECT_GE(found->timestamp_unix, before);
  EXPECT_LE(found->timestamp_unix, after);
}

TEST_F(MeasurementStoreTest, SameKeyReplacesRowAndCountsReplacements) {
  auto store = MeasurementStore::open(dir_ / "m.db");
  const StoredMeasurement first = row(0);
  store.put(first);
  store.put(row(1));
  StoredMeasurement again = row(0, first.platform_key, first.kernel_type, "remeasure");
  again.median_ms = 9.5;
  again.min_ms = 9.0;
  again.platform_json = R"({"cpu":"Test CPU @ 2.0GHz","cores":2,"threads":1,"engine":"libtorch","torch":"1.13.1"})";
  store.put(again);
  store.put(again);

  EXPECT_EQ(store.count(), 2u);
  const auto found = store.find(first.platform_key, first.kernel_type, first.config_key);
  ASSERT_TRUE(found.has_value());
  expect_same(*found, again);
  EXPECT_EQ(found->replaced_count, 2);  // stored three times: replaced twice
  // The replaced key keeps its place: query order is the order keys were first stored.
  const auto rows = store.query();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].config_key, first.config_key);
  EXPECT_EQ(rows[1].config_key, row(1).config_key);
  // The untouched row keeps the platform description it was stored with.
  EXPECT_EQ(rows[1].platform_json, row(1).platform_json);
  EXPECT_EQ(rows[1].replaced_count, 0);
}

TEST_F(MeasurementStoreTest, PutRejectsInvalidRowsNamingTheField) {
  const fs::path file = dir_ / "m.db";
  auto store = MeasurementStore::open(file);
  struct Case {
    const char* field;
    void (*spoil)(StoredMeasurement&);
  };
  const Case cases[] = {
      {"median_ms", [](StoredMeasurement& m) { m.median_ms = std::numeric_limits<double>::quiet_NaN(); }},
      {"mean_ms", [](StoredMeasurement& m) { m.mean_ms = std::numeric_limits<double>::infinity(); }},
      {"spread", [](StoredMeasurement& m) { m.spread = -0.5; }},
      {"min_ms", [](StoredMeasurement& m) { m.min_ms = m.median_ms + 1.0; }},
      {"repeats", [](StoredMeasurement& m) { m.repeats = 0; }},
      {"kernel_type", [](StoredMeasurement& m) { m.kernel_type.clear(); }},
      {"config_key", [](StoredMeasurement& m) { m.config_key.clear(); }},
      {"platform_key", [](StoredMeasurement& m) { m.platform_key.clear(); }},
      {"platform_json", [](StoredMeasurement& m) { m.platform_json.clear(); }},
      {"timestamp_unix", [](StoredMeasurement& m) { m.timestamp_unix = -1; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.field);
    StoredMeasurement m = row(0);
    c.spoil(m);
    expect_error([&] { store.put(m); }, {c.field, file.string()});
  }
  EXPECT_EQ(store.count(), 0u);
}

TEST_F(MeasurementStoreTest, PutBatchIsAllOrNothing) {
  const fs::path file = dir_ / "m.db";
  auto store = MeasurementStore::open(file);
  const StoredMeasurement original = row(0);
  store.put(original);

  // A batch whose last row is invalid: its valid rows, including one that would replace `original`,
  // must not be stored.
  StoredMeasurement replacement = row(0);
  replacement.median_ms = 7.0;
  std::vector<StoredMeasurement> batch = {row(1), row(2), replacement, row(3)};
  batch.back().median_ms = std::numeric_limits<double>::quiet_NaN();
  expect_error([&] { store.put_batch(batch); }, {"row 3 of the batch", "median_ms", file.string()});
  EXPECT_EQ(store.count(), 1u);
  EXPECT_FALSE(store.contains(row(1).platform_key, row(1).kernel_type, row(1).config_key));
  EXPECT_EQ(store.find(original.platform_key, original.kernel_type, original.config_key)->median_ms,
            original.median_ms);

  // A batch that SQLite itself aborts half-way (a trigger refuses its third row) is rolled back too.
  raw_sql(file,
          "CREATE TRIGGER refuse_poison BEFORE INSERT ON measurements WHEN NEW.config_key = 'poison' "
          "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;");
  StoredMeasurement poison = row(9);
  poison.config_key = "poison";
  expect_error([&] { store.put_batch({row(1), replacement, poison, row(2)}); }, {"poisoned row", file.string()});
  EXPECT_EQ(store.count(), 1u);
  EXPECT_EQ(store.find(original.platform_key, original.kernel_type, original.config_key)->median_ms,
            original.median_ms);
  raw_sql(file, "DROP TRIGGER refuse_poison;");

  store.put_batch({row(1), row(2), replacement});
  EXPECT_EQ(store.count(), 3u);
  EXPECT_EQ(store.find(original.platform_key, original.kernel_type, original.config_key)->median_ms, 7.0);
}

TEST_F(MeasurementStoreTest, QueryAndCountFilterByPlatformKernelAndCampaign) {
  auto store = MeasurementStore::open(dir_ / "m.db");
  // 2 platforms x 2 kernel types x 3 configs = 12 rows; configs 0 and 1 in campaign "c1", config 2 ad hoc.
  std::vector<StoredMeasurement> rows;
  for (const std::string platform : {"pa", "pb"}) {
    for (const std::string kernel : {"conv-bn-relu", "network"}) {
      for (int i = 0; i < 3; ++i) rows.push_back(row(i, platform, kernel, i < 2 ? "c1" : ""));
    }
  }
  store.put_batch(rows);

  EXPECT_EQ(store.count(), 12u);
  EXPECT_EQ(store.count({.platform_key = "pa"}), 6u);                                  // 2 kernels x 3
  EXPECT_EQ(store.count({.kernel_type = "network"}), 6u);                              // 2 platforms x 3
  EXPECT_EQ(store.count({.campaign = "c1"}), 8u);                                      // 4 x configs 0,1
  EXPECT_EQ(store.count({.campaign = ""}), 4u);                                        // 4 x config 2
  EXPECT_EQ(store.count({.platform_key = "pb", .kernel_type = "network"}), 3u);        // configs 0,1,2
  EXPECT_EQ(store.count({.platform_key = "pb", .kernel_type = "network", .campaign = "c1"}), 2u);
  EXPECT_EQ(store.count({.platform_key = "nowhere"}), 0u);
  EXPECT_EQ(store.count({.campaign = "c2"}), 0u);

  const auto selected = store.query({.platform_key = "pb", .campaign = ""});
  ASSERT_EQ(selected.size(), 2u);  // pb x {conv-bn-relu, network} x config 2, in insertion order
  expect_same(selected[0], row(2, "pb", "conv-bn-relu", ""));
  expect_same(selected[1], row(2, "pb", "network", ""));
  for (const auto& m : store.query({.kernel_type = "conv-bn-relu"})) EXPECT_EQ(m.kernel_type, "conv-bn-relu");
  EXPECT_TRUE(store.query({.kernel_type = "pool"}).empty());
}

TEST_F(MeasurementStoreTest, ExportCsvReadsBack) {
  auto store = MeasurementStore::open(dir_ / "m.db");
  StoredMeasurement tricky = row(1, "pa", "network", "c,1");
  tricky.config_key = "say \"hi\"\nthen, go";
  tricky.median_ms = 0.1;  // not exactly representable: must still read back to the same double
  tricky.min_ms = 1e-7;
  store.put_batch({row(0, "pa"), tricky, row(2, "pb")});
  store.put(row(0, "pa"));  // a replacement: replaced_count 1

  const fs::path csv = dir_ / "out.csv";
  store.export_csv(csv, {.platform_key = "pa"});
  const std::string text = read_bytes(csv);
  // Fields with a comma, quote or line break are quoted, quotes doubled (RFC 4180); plain ones are not.
  EXPECT_NE(text.find("\"say \"\"hi\"\"\nthen, go\""), std::string::npos) << text;
  EXPECT_NE(text.find("\npa,"), std::string::npos) << text;
  EXPECT_NE(text.find(",\"c,1\","), std::string::npos) << text;

  const auto table = parse_csv(text);
  ASSERT_EQ(table.size(), 3u);  // header + the two "pa" rows
  const std::vector<std::string> header = {"platform_key", "platform_json", "kernel_type",   "config_key",
                                           "campaign",     "median_ms",     "spread",        "repeats",
                                           "min_ms",       "mean_ms",       "timestamp_unix", "replaced_count"};
  EXPECT_EQ(table[0], header);
  const StoredMeasurement expected[] = {row(0, "pa"), tricky};
  const int replaced[] = {1, 0};
  for (int r = 0; r < 2; ++r) {
    SCOPED_TRACE(r);
    const auto& f = table[r + 1];
    ASSERT_EQ(f.size(), header.size());
    StoredMeasurement back;
    back.platform_key = f[0];
    back.platform_json = f[1];
    back.kernel_type = f[2];
    back.config_key = f[3];
    back.campaign = f[4];
    back.median_ms = std::stod(f[5]);
    back.spread = std::stod(f[6]);
    back.repeats = std::stoi(f[7]);
    back.min_ms = std::stod(f[8]);
    back.mean_ms = std::stod(f[9]);
    back.timestamp_unix = std::stoll(f[10]);
    expect_same(back, expected[r]);
    EXPECT_EQ(std::stoi(f[11]), replaced[r]);
  }
  // Nothing left behind but the CSV itself and the database.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  expect_error([&] { store.export_csv(dir_ / "no-such-dir" / "out.csv", {}); }, {"no-such-dir"});
}

TEST_F(MeasurementStoreTest, CampaignSpecIsRecordedOnceAndMismatchRefused) {
  const fs::path file = dir_ / "m.db";
  const std::string spec = "platform: libtorch-cpu-t1\nspace: nb201\nsamples: 500\n";
  {
    auto store = MeasurementStore::open(file);
    EXPECT_TRUE(store.campaigns().empty());
    EXPECT_TRUE(store.begin_campaign("nb201-t1", spec));
    EXPECT_TRUE(store.begin_campaign("alpha", "x: 1\n"));
    EXPECT_FALSE(store.begin_campaign("nb201-t1", spec));  // a resume
  }
  auto store = MeasurementStore::open(file);
  EXPECT_FALSE(store.begin_campaign("nb201-t1", spec));  // a resume after reopening
  EXPECT_EQ(store.campaigns(), (std::vector<std::string>{"alpha", "nb201-t1"}));
  EXPECT_EQ(store.campaign_spec("nb201-t1"), spec);
  EXPECT_FALSE(store.campaign_spec("beta").has_value());
  expect_error([&] { store.begin_campaign("nb201-t1", "platform: libtorch-cpu-t1\nspace: nb201\nsamples: 600\n"); },
               {"nb201-t1", file.string(), "different spec"});
  EXPECT_EQ(store.campaign_spec("nb201-t1"), spec);  // unchanged by the refused begin
  expect_error([&] { store.begin_campaign("", spec); }, {"name", file.string()});
}

TEST_F(MeasurementStoreTest, TwoStoresOnOneFileSeeEachOthersRows) {
  const fs::path file = dir_ / "m.db";
  auto writer = MeasurementStore::open(file);
  auto reader = MeasurementStore::open(file);
  writer.put(row(0));
  EXPECT_TRUE(reader.contains(row(0).platform_key, row(0).kernel_type, row(0).config_key));
  reader.put(row(1));
  EXPECT_EQ(writer.count(), 2u);
}

TEST_F(MeasurementStoreTest, EmptyExistingFileIsInitialised) {
  const fs::path file = dir_ / "empty.db";
  write_bytes(file, "");
  auto store = MeasurementStore::open(file, /*create_if_missing=*/false);
  store.put(row(0));
  EXPECT_EQ(store.count(), 1u);
}

TEST_F(MeasurementStoreTest, RefusesTextFileWithoutTouchingIt) {
  const fs::path file = dir_ / "notes.db";
  const std::string text = "platform,latency_ms\nlibtorch-cpu-t1,0.25\n";
  write_bytes(file, text);
  expect_error([&] { MeasurementStore::open(file); },
               {file.string(), "not an hwnas measurement database", "file is not a database"});
  EXPECT_EQ(read_bytes(file), text);
}

TEST_F(MeasurementStoreTest, RefusesRandomBytes) {
  const fs::path file = dir_ / "noise.db";
  std::mt19937 rng(42);
  std::string bytes(8192, '\0');
  for (char& b : bytes) b = static_cast<char>(rng() & 0xff);
  write_bytes(file, bytes);
  expect_error([&] { MeasurementStore::open(file); }, {file.string(), "not an hwnas measurement database"});
  EXPECT_EQ(read_bytes(file), bytes);
}

TEST_F(MeasurementStoreTest, RefusesTruncatedDatabase) {
  const fs::path file = dir_ / "cut.db";
  {
    auto store = MeasurementStore::open(file);
    std::vector<StoredMeasurement> rows;
    for (int i = 0; i < 2000; ++i) rows.push_back(row(i));
    store.put_batch(rows);
  }  // the last close checkpoints the WAL into the main file
  const std::string whole = read_bytes(file);
  ASSERT_GT(whole.size(), 40000u) << "too small to cut meaningfully";
  write_bytes(file, whole.substr(0, whole.size() / 2));
  expect_error([&] { MeasurementStore::open(file); }, {file.string(), "not an hwnas measurement database"});
}

TEST_F(MeasurementStoreTest, RefusesSqliteDatabaseOfAnotherProgram) {
  const fs::path file = dir_ / "birds.db";
  raw_sql(file, "CREATE TABLE birds (name TEXT, wingspan_cm REAL); INSERT INTO birds VALUES ('swift', 42.0);");
  const std::string before = read_bytes(file);
  expect_error([&] { MeasurementStore::open(file); }, {file.string(), "another program", "birds", "measurements"});
  EXPECT_EQ(read_bytes(file), before);  // not converted to WAL, no tables added
}

TEST_F(MeasurementStoreTest, RefusesNewerSchemaVersionNamingBoth) {
  const fs::path file = dir_ / "future.db";
  { auto store = MeasurementStore::open(file); }
  const int newer = MeasurementStore::kSchemaVersion + 1;
  raw_sql(file, "PRAGMA user_version = " + std::to_string(newer) + ";");
  expect_error([&] { MeasurementStore::open(file); },
               {file.string(), "version " + std::to_string(newer),
                "version " + std::to_string(MeasurementStore::kSchemaVersion)});
}

TEST_F(MeasurementStoreTest, RefusesStoreWithMissingTable) {
  const fs::path file = dir_ / "damaged.db";
  { auto store = MeasurementStore::open(file); }
  raw_sql(file, "DROP TABLE campaigns;");
  expect_error([&] { MeasurementStore::open(file); }, {file.string(), "campaigns", "missing"});
}

TEST_F(MeasurementStoreTest, RefusesMissingFileDirectoryAndDirectoryPath) {
  const fs::path missing = dir_ / "absent.db";
  expect_error([&] { MeasurementStore::open(missing, /*create_if_missing=*/false); },
               {missing.string(), "does not exist"});
  EXPECT_FALSE(fs::exists(missing));
  const fs::path in_missing_dir = dir_ / "no-such-dir" / "m.db";
  expect_error([&] { MeasurementStore::open(in_missing_dir); }, {in_missing_dir.string(), "no-such-dir", "does not exist"});
  expect_error([&] { MeasurementStore::open(dir_); }, {dir_.string(), "directory"});
}

// A campaign killed at an arbitrary point keeps every committed row, and the file opens and takes new
// rows afterwards. The child commits one row per transaction (config "0", "1", ...) and reports each
// commit on a pipe; SIGKILL lands wherever it lands, often inside a transaction.
TEST_F(MeasurementStoreTest, KilledWriterKeepsEveryCommittedRow) {
  const fs::path file = dir_ / "kill.db";
  { auto store = MeasurementStore::open(file); }  // schema created before the child starts
  const auto kill_row = [](int i) {
    StoredMeasurement m = row(i, "cpu-a-t1", "conv-bn-relu", "kill");
    m.config_key = std::to_string(i);
    return m;
  };
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    try {
      auto store = MeasurementStore::open(file);
      for (int i = 0; i < 10000000; ++i) {
        store.put(kill_row(i));
        const std::int32_t committed = i + 1;
        if (::write(fds[1], &committed, sizeof committed) != sizeof committed) ::_exit(3);
      }
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  ::close(fds[1]);

  // Keep reading so the pipe never fills (a full pipe would park the child in write(), outside any
  // transaction). Run until the child has committed at least 50 rows and ~200 ms have passed.
  std::int32_t reported = 0;
  std::string pending;
  const auto drain = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) return false;
    pending.append(buffer, static_cast<std::size_t>(n));
    while (pending.size() >= sizeof reported) {
      std::memcpy(&reported, pending.data(), sizeof reported);
      pending.erase(0, sizeof reported);
    }
    return true;
  };
  const auto start = std::chrono::steady_clock::now();
  while (reported < 50 || std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200)) {
    if (!drain(5000)) break;  // the child died or stalled: the checks below report it
  }
  ASSERT_GE(reported, 50) << "the writer stopped early";
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited with status " << status;
  while (drain(0)) {
  }
  ::close(fds[0]);

  auto store = MeasurementStore::open(file, /*create_if_missing=*/false);
  const auto rows = store.query({.campaign = "kill"});
  // The kill may fall between a commit and its report: one unreported committed row is possible.
  const auto n = static_cast<std::int32_t>(rows.size());
  RecordProperty("committed_rows", n);
  EXPECT_TRUE(n == reported || n == reported + 1) << n << " rows stored, " << reported << " reported committed";
  for (std::int32_t i = 0; i < n; ++i) ASSERT_EQ(rows[static_cast<std::size_t>(i)].config_key, std::to_string(i));
  store.put(kill_row(n));
  EXPECT_EQ(store.count({.campaign = "kill"}), static_cast<std::size_t>(n) + 1);
}

}  // namespace
}  // namespace hwnas::devices
