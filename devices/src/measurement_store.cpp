#include "hwnas/devices/measurement_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <span>
#include <string_view>
#include <system_error>

#include "hwnas/core/error.h"

namespace hwnas::devices {
namespace {

// PRAGMA application_id marks a file as ours ("HNAS"), so a SQLite file of another program is refused
// before anything is written to it.
constexpr int kApplicationId = 0x484E4153;

constexpr int kBusyTimeoutMs = 10000;

// Schema version 1. Fingerprints are kept per distinct (key, json) so each row keeps the exact platform
// description it was measured under, while the unique row key only uses the stable platform_key.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE platforms (
  id INTEGER PRIMARY KEY,
  platform_key TEXT NOT NULL,
  platform_json TEXT NOT NULL,
  UNIQUE (platform_key, platform_json));
CREATE TABLE measurements (
  id INTEGER PRIMARY KEY,
  platform_key TEXT NOT NULL,
  kernel_type TEXT NOT NULL,
  config_key TEXT NOT NULL,
  platform_id INTEGER NOT NULL REFERENCES platforms(id),
  campaign TEXT NOT NULL,
  median_ms REAL NOT NULL,
  spread REAL NOT NULL,
  repeats INTEGER NOT NULL,
  min_ms REAL NOT NULL,
  mean_ms REAL NOT NULL,
  timestamp_unix INTEGER NOT NULL,
  replaced_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (platform_key, kernel_type, config_key));
CREATE INDEX measurements_by_campaign ON measurements (campaign);
CREATE TABLE campaigns (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  begun_unix INTEGER NOT NULL);
)sql";

constexpr std::string_view kRequiredTables[] = {"campaigns", "measurements", "platforms"};

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbClose>;

/// A failed SQLite call, with SQLite's result code and message kept for callers that tell failures apart.
class SqlError : public Error {
 public:
  SqlError(const std::string& message, int code, std::string sqlite_message)
      : Error(message), code_(code), sqlite_message_(std::move(sqlite_message)) {}
  int code() const { return code_; }
  const std::string& sqlite_message() const { return sqlite_message_; }

 private:
  int code_;
  std::string sqlite_message_;
};

/// A database connection with the file name that every error message names.
struct Connection {
  DbHandle db;
  std::string file;

  [[noreturn]] void fail_sql(std::string_view doing) const {
    std::string sqlite_message = sqlite3_errmsg(db.get());
    throw SqlError(fmt::format("measurement database {}: {} failed: {}", file, doing, sqlite_message),
                   sqlite3_errcode(db.get()), sqlite_message);
  }

  void exec(const char* sql, std::string_view doing) const {
    if (sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail_sql(doing);
  }
};

/// A prepared statement; finalized on destruction.
class Statement {
 public:
  Statement(const Connection& connection, std::string_view sql) : connection_(connection) {
    if (sqlite3_prepare_v2(connection.db.get(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      connection.fail_sql(fmt::format("preparing '{}'", sql.substr(0, 40)));
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  void bind(int index, std::string_view text) {
    check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind(int index, double value) { check_bind(sqlite3_bind_double(stmt_, index, value)); }
  void bind(int index, std::int64_t value) { check_bind(sqlite3_bind_int64(stmt_, index, value)); }

  /// Advances; true when a row is available, false when done. Throws on any error.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    connection_.fail_sql(fmt::format("running '{}'", std::string_view(sqlite3_sql(stmt_)).substr(0, 40)));
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return data == nullptr ? std::string() : std::string(data, sqlite3_column_bytes(stmt_, column));
  }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  void check_bind(int rc) const {
    if (rc != SQLITE_OK) connection_.fail_sql("binding a value");
  }

  const Connection& connection_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back when left without commit() (an exception on the way).
/// IMMEDIATE takes the write lock up front, so two writers wait for each other (busy timeout) instead
/// of failing on a lock upgrade half-way through.
class Transaction {
 public:
  explicit Transaction(const Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN IMMEDIATE", "starting a transaction");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!committed_) sqlite3_exec(connection_.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    connection_.exec("COMMIT", "committing");
    committed_ = true;
  }

 private:
  const Connection& connection_;
  bool committed_ = false;
};

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A key shortened for an error message (config keys can be long JSON).
std::string shorten(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out(text.substr(0, kMax));
  std::replace(out.begin(), out.end(), '\n', ' ');
  if (text.size() > kMax) out += "...";
  return out;
}

/// Throws naming the field when `m` cannot be stored. `where` says which row ("" or "row 3 of the batch: ").
void validate(const StoredMeasurement& m, const std::string& file, const std::string& where) {
  const auto reject = [&](std::string_view problem) {
    fail("measurement database {}: {}cannot store {} '{}' on platform '{}': {}", file, where, m.kernel_type,
         shorten(m.config_key), m.platform_key, problem);
  };
  if (m.platform_key.empty()) reject("platform_key is empty");
  if (m.platform_json.empty()) reject("platform_json is empty (store the full platform fingerprint)");
  if (m.kernel_type.empty()) reject("kernel_type is empty (e.g. \"conv-bn-relu\" or \"network\")");
  if (m.config_key.empty()) reject("config_key is empty");
  const std::pair<const char*, double> numbers[] = {
      {"median_ms", m.median_ms}, {"spread", m.spread}, {"min_ms", m.min_ms}, {"mean_ms", m.mean_ms}};
  for (const auto& [name, value] : numbers) {
    if (!std::isfinite(value) || value < 0.0) reject(fmt::format("{} is {} (must be a finite number >= 0)", name, value));
  }
  // The fastest repeat can never exceed the median of the same repeats.
  if (m.min_ms > m.median_ms) reject(fmt::format("min_ms {} exceeds median_ms {}", m.min_ms, m.median_ms));
  if (m.repeats < 1) reject(fmt::format("repeats is {} (must be >= 1)", m.repeats));
  if (m.timestamp_unix < 0) reject(fmt::format("timestamp_unix is {} (must be >= 0; 0 means now)", m.timestamp_unix));
}

std::int64_t pragma_integer(const Connection& connection, const char* pragma) {
  Statement statement(connection, fmt::format("PRAGMA {}", pragma));
  return statement.step() ? statement.integer(0) : 0;
}

constexpr const char* kSelectColumns =
    "SELECT m.platform_key, p.platform_json, m.kernel_type, m.config_key, m.campaign, m.median_ms, m.spread, "
    "m.repeats, m.min_ms, m.mean_ms, m.timestamp_unix, m.replaced_count "
    "FROM measurements m JOIN platforms p ON p.id = m.platform_id";

StoredMeasurement read_row(const Statement& s) {
  StoredMeasurement m;
  m.platform_key = s.text(0);
  m.platform_json = s.text(1);
  m.kernel_type = s.text(2);
  m.config_key = s.text(3);
  m.campaign = s.text(4);
  m.median_ms = s.real(5);
  m.spread = s.real(6);
  m.repeats = static_cast<int>(s.integer(7));
  m.min_ms = s.real(8);
  m.mean_ms = s.real(9);
  m.timestamp_unix = s.integer(10);
  m.replaced_count = static_cast<int>(s.integer(11));
  return m;
}

/// " WHERE ..." for a query, with ?1.. placeholders bound by bind_filter in the same order.
std::string where_clause(const MeasurementQuery& q) {
  std::vector<std::string> terms;
  int index = 1;
  if (!q.platform_key.empty()) terms.push_back(fmt::format("m.platform_key = ?{}", index++));
  if (!q.kernel_type.empty()) terms.push_back(fmt::format("m.kernel_type = ?{}", index++));
  if (q.campaign) terms.push_back(fmt::format("m.campaign = ?{}", index++));
  return terms.empty() ? std::string() : fmt::format(" WHERE {}", fmt::join(terms, " AND "));
}

void bind_filter(Statement& s, const MeasurementQuery& q) {
  int index = 1;
  if (!q.platform_key.empty()) s.bind(index++, q.platform_key);
  if (!q.kernel_type.empty()) s.bind(index++, q.kernel_type);
  if (q.campaign) s.bind(index++, *q.campaign);
}

/// RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

struct MeasurementStore::Impl {
  Connection connection;
  std::filesystem::path path;
  mutable std::mutex mutex;

  void put_locked(const StoredMeasurement& m, Statement& platform, Statement& measurement) {
    platform.reset();
    platform.bind(1, m.platform_key);
    platform.bind(2, m.platform_json);
    const bool has_id = platform.step();
    HWNAS_ASSERT(has_id, "upsert of a platform returned no id");
    const std::int64_t platform_id = platform.integer(0);
    while (platform.step()) {
    }

    measurement.reset();
    measurement.bind(1, m.platform_key);
    measurement.bind(2, m.kernel_type);
    measurement.bind(3, m.config_key);
    measurement.bind(4, platform_id);
    measurement.bind(5, m.campaign);
    measurement.bind(6, m.median_ms);
    measurement.bind(7, m.spread);
    measurement.bind(8, static_cast<std::int64_t>(m.repeats));
    measurement.bind(9, m.min_ms);
    measurement.bind(10, m.mean_ms);
    measurement.bind(11, m.timestamp_unix == 0 ? now_unix() : m.timestamp_unix);
    while (measurement.step()) {
    }
  }

  void put_all(std::span<const StoredMeasurement> rows, bool batch) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      validate(rows[i], connection.file, batch ? fmt::format("row {} of the batch: ", i) : std::string());
    }
    std::lock_guard lock(mutex);
    Transaction transaction(connection);
    // The no-op update makes RETURNING yield the id of an existing platform row too.
    Statement platform(connection,
                       "INSERT INTO platforms (platform_key, platform_json) VALUES (?1, ?2) "
                       "ON CONFLICT (platform_key, platform_json) DO UPDATE SET platform_key = excluded.platform_key "
                       "RETURNING id");
    // ON CONFLICT DO UPDATE (not INSERT OR REPLACE) keeps the row id, so query order stays the order in
    // which keys were first measured.
    Statement measurement(connection,
                          "INSERT INTO measurements (platform_key, kernel_type, config_key, platform_id, campaign, "
                          "median_ms, spread, repeats, min_ms, mean_ms, timestamp_unix) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                          "ON CONFLICT (platform_key, kernel_type, config_key) DO UPDATE SET "
                          "platform_id = excluded.platform_id, campaign = excluded.campaign, "
                          "median_ms = excluded.median_ms, spread = excluded.spread, repeats = excluded.repeats, "
                          "min_ms = excluded.min_ms, mean_ms = excluded.mean_ms, "
                          "timestamp_unix = excluded.timestamp_unix, replaced_count = replaced_count + 1");
    for (const auto& row : rows) put_locked(row, platform, measurement);
    transaction.commit();
  }
};

namespace {

/// Creates the schema in an empty database. Runs in one transaction, so a kill half-way leaves an empty
/// file that the next open initialises again.
void initialise(const Connection& connection) {
  Transaction transaction(connection);
  // Another process may have initialised the file between our look and our write lock.
  {
    Statement tables(connection, "SELECT count(*) FROM sqlite_schema");
    if (tables.step() && tables.integer(0) > 0) return;
  }
  connection.exec(kSchemaV1, "creating the schema");
  connection.exec(fmt::format("PRAGMA application_id = {}", kApplicationId).c_str(), "setting application_id");
  connection.exec(fmt::format("PRAGMA user_version = {}", MeasurementStore::kSchemaVersion).c_str(),
                  "setting user_version");
  transaction.commit();
}

/// Refuses anything but an empty file or an hwnas store this build can read, without writing to it.
/// Returns true when the file is empty and needs the schema.
bool classify(const Connection& connection) {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  std::vector<std::string> tables;
  try {
    application_id = pragma_integer(connection, "application_id");
    version = pragma_integer(connection, "user_version");
    Statement statement(connection, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    while (statement.step()) tables.push_back(statement.text(0));
  } catch (const SqlError& error) {
    // Text, random bytes and truncated databases end here ("file is not a database", "database disk
    // image is malformed"); other failures (a lock held too long, an I/O error) keep their message.
    if (error.code() != SQLITE_NOTADB && error.code() != SQLITE_CORRUPT) throw;
    fail("{} is not an hwnas measurement database: {}", connection.file, error.sqlite_message());
  }
  if (application_id == 0 && version == 0 && tables.empty()) return true;
  if (application_id != kApplicationId) {
    fail("{} is not an hwnas measurement database: it is a SQLite database of another program "
         "(application_id {:#x}, tables: {}; an hwnas store has application_id {:#x} and tables {})",
         connection.file, application_id, tables.empty() ? std::string("none") : fmt::format("{}", fmt::join(tables, ", ")),
         kApplicationId, fmt::join(kRequiredTables, ", "));
  }
  if (version > MeasurementStore::kSchemaVersion) {
    fail("{} has measurement schema version {}, newer than version {} that this build of hwnas reads; "
         "use a newer hwnas",
         connection.file, version, MeasurementStore::kSchemaVersion);
  }
  if (version < 1) fail("{} is a damaged hwnas measurement database: schema version {} is unknown", connection.file, version);
  for (std::string_view required : kRequiredTables) {
    if (std::find(tables.begin(), tables.end(), required) == tables.end()) {
      fail("{} is a damaged hwnas measurement database: table '{}' is missing", connection.file, required);
    }
  }
  return false;
}

}  // namespace

MeasurementStore MeasurementStore::open(const std::filesystem::path& path, bool create_if_missing) {
  const std::string file = path.string();
  if (file.empty()) fail("measurement database path is empty");
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status)) fail("measurement database {} is a directory, not a file", file);
  if (!std::filesystem::exists(status)) {
    if (!create_if_missing) fail("measurement database {} does not exist", file);
    const auto parent = path.parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      fail("cannot create measurement database {}: directory {} does not exist", file, parent.string());
    }
  }
  return connect(path, create_if_missing);
}

MeasurementStore MeasurementStore::in_memory() { return connect(":memory:", true); }

MeasurementStore MeasurementStore::connect(const std::filesystem::path& path, bool create_if_missing) {
  const std::string file = path.string();
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create_if_missing ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  auto impl = std::make_unique<Impl>();
  impl->connection.db.reset(raw);
  impl->connection.file = file;
  impl->path = path;
  if (rc != SQLITE_OK) {
    fail("cannot open measurement database {}: {}", file, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  }
  const Connection& connection = impl->connection;
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);

  const bool empty = classify(connection);
  // WAL + synchronous=NORMAL: a commit is one append to the WAL without fsync. A killed process loses
  // nothing committed (the OS still holds the write) and never corrupts the file; only a power loss or OS
  // crash may drop the last few commits, which a resumed campaign measures again. FULL would fsync on
  // every measurement for protection against a failure that costs nothing but a re-measurement here.
  // The journal mode must be set outside a transaction, before the schema is written.
  std::string mode;
  {
    Statement journal(connection, "PRAGMA journal_mode = WAL");
    if (journal.step()) mode = journal.text(0);
  }
  // Where WAL is unavailable (some network filesystems) the rollback journal with FULL is as safe. (An
  // in-memory store answers "memory": nothing to sync.)
  connection.exec(mode == "wal" ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", "setting synchronous");
  connection.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
  if (empty) initialise(connection);
  return MeasurementStore(std::move(impl));
}

MeasurementStore::MeasurementStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MeasurementStore::MeasurementStore(MeasurementStore&&) noexcept = default;
MeasurementStore& MeasurementStore::operator=(MeasurementStore&&) noexcept = default;
MeasurementStore::~MeasurementStore() = default;

const std::filesystem::path& MeasurementStore::path() const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  return impl_->path;
}

void MeasurementStore::put(const StoredMeasurement& measurement) {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  impl_->put_all(std::span(&measurement, 1), false);
}

void MeasurementStore::put_batch(const std::vector<StoredMeasurement>& measurements) {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  if (measurements.empty()) return;
  impl_->put_all(measurements, true);
}

std::optional<StoredMeasurement> MeasurementStore::find(const std::string& platform_key,
                                                        const std::string& kernel_type,
                                                        const std::string& config_key) const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->connection,
              fmt::format("{} WHERE m.platform_key = ?1 AND m.kernel_type = ?2 AND m.config_key = ?3", kSelectColumns));
  s.bind(1, platform_key);
  s.bind(2, kernel_type);
  s.bind(3, config_key);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

bool MeasurementStore::contains(const std::string& platform_key, const std::string& kernel_type,
                                const std::string& config_key) const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->connection,
              "SELECT 1 FROM measurements WHERE platform_key = ?1 AND kernel_type = ?2 AND config_key = ?3");
  s.bind(1, platform_key);
  s.bind(2, kernel_type);
  s.bind(3, config_key);
  return s.step();
}

std::vector<StoredMeasurement> MeasurementStore::query(const MeasurementQuery& filter) const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->connection, fmt::format("{}{} ORDER BY m.id", kSelectColumns, where_clause(filter)));
  bind_filter(s, filter);
  std::vector<StoredMeasurement> rows;
  while (s.step()) rows.push_back(read_row(s));
  return rows;
}

std::size_t MeasurementStore::count(const MeasurementQuery& filter) const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->connection, fmt::format("SELECT count(*) FROM measurements m{}", where_clause(filter)));
  bind_filter(s, filter);
  return s.step() ? static_cast<std::size_t>(s.integer(0)) : 0;
}

void MeasurementStore::export_csv(const std::filesystem::path& csv_path, const MeasurementQuery& filter) const {
  const std::vector<StoredMeasurement> rows = query(filter);
  const std::string file = csv_path.string();
  const auto parent = csv_path.parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    fail("cannot write CSV {}: directory {} does not exist", file, parent.string());
  }
  // Written beside the target and renamed, so a reader never sees half a file.
  const std::filesystem::path temporary = csv_path.string() + fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot write CSV {}: cannot create {}", file, temporary.string());
    out << "platform_key,platform_json,kernel_type,config_key,campaign,median_ms,spread,repeats,min_ms,mean_ms,"
           "timestamp_unix,replaced_count\n";
    for (const auto& m : rows) {
      // fmt's "{}" prints the shortest text that reads back to the same double.
      out << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(m.platform_key), csv_field(m.platform_json),
                         csv_field(m.kernel_type), csv_field(m.config_key), csv_field(m.campaign), m.median_ms,
                         m.spread, m.repeats, m.min_ms, m.mean_ms, m.timestamp_unix, m.replaced_count);
    }
    out.close();
    if (!out) {
      std::filesystem::remove(temporary, ec);
      fail("cannot write CSV {}: write failed", file);
    }
  }
  std::filesystem::rename(temporary, csv_path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    fail("cannot write CSV {}: {}", file, ec.message());
  }
}

bool MeasurementStore::begin_campaign(const std::string& name, const std::string& spec_text) {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  if (name.empty()) fail("measurement database {}: a campaign needs a non-empty name", impl_->connection.file);
  std::lock_guard lock(impl_->mutex);
  Transaction transaction(impl_->connection);
  std::optional<std::string> existing_spec;
  {
    Statement existing(impl_->connection, "SELECT spec FROM campaigns WHERE name = ?1");
    existing.bind(1, name);
    if (existing.step()) existing_spec = existing.text(0);
  }
  if (existing_spec) {
    if (*existing_spec != spec_text) {
      fail("campaign '{}' in {} was begun with a different spec; resume it with the same spec or give the "
           "changed campaign a new name",
           name, impl_->connection.file);
    }
    return false;  // a resume; the transaction rolls back having changed nothing
  }
  Statement insert(impl_->connection, "INSERT INTO campaigns (name, spec, begun_unix) VALUES (?1, ?2, ?3)");
  insert.bind(1, name);
  insert.bind(2, spec_text);
  insert.bind(3, now_unix());
  insert.step();
  transaction.commit();
  return true;
}

std::optional<std::string> MeasurementStore::campaign_spec(const std::string& name) const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->connection, "SELECT spec FROM campaigns WHERE name = ?1");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::vector<std::string> MeasurementStore::campaigns() const {
  HWNAS_ASSERT(impl_ != nullptr, "use of a moved-from MeasurementStore");
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->connection, "SELECT name FROM campaigns ORDER BY name");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.text(0));
  return names;
}

}  // namespace hwnas::devices
