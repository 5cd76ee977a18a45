#pragma once
/// The measurement store: every kernel or whole-network latency that hwnas measures, kept in one SQLite
/// file. Predictors train from it; a killed profiling campaign resumes from it without measuring anything
/// twice. Pure C++ over the SQLite C API (no LibTorch, no sqlite3.h in this header).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hwnas::devices {

/// One latency measurement as stored. A row is identified by (platform_key, kernel_type, config_key);
/// storing the same key again replaces the row.
struct StoredMeasurement {
  std::string platform_key{};       ///< the platform fingerprint's stable key
  std::string platform_json{};      ///< the full fingerprint as JSON (cpu model, cores, torch version, threads, engine)
  std::string kernel_type{};        ///< e.g. "conv-bn-relu", or "network" for a whole-network measurement
  std::string config_key{};         ///< canonical text of the measured config (e.g. the kernel subgraph's compact JSON)
  std::string campaign{};           ///< campaign name, "" for an ad-hoc measurement
  double median_ms = 0.0;           ///< median latency over the repeats, milliseconds
  double spread = 0.0;              ///< the profiler's dispersion measure (>= 0)
  int repeats = 0;                  ///< number of timed repeats (>= 1)
  double min_ms = 0.0;              ///< fastest repeat (<= median_ms)
  double mean_ms = 0.0;             ///< mean of the repeats
  std::int64_t timestamp_unix = 0;  ///< seconds since the epoch; put() fills in "now" when 0
  /// How many times this key was measured again and replaced (read-only: ignored by put()).
  int replaced_count = 0;
};

/// A filter on stored measurements: an empty platform_key or kernel_type matches any; campaign
/// nullopt matches any campaign, "" only ad-hoc measurements.
struct MeasurementQuery {
  std::string platform_key{};
  std::string kernel_type{};
  std::optional<std::string> campaign{};
};

/// A SQLite file of latency measurements. Every write is one transaction; the file runs in WAL mode
/// with synchronous=NORMAL, so a process killed at any point keeps every committed row and leaves a
/// file that opens cleanly. Several processes may open the same file (writers wait up to 10 s for each
/// other). One object may be shared between threads (calls are serialized); do not use it across fork()
/// (open a new store in the child instead).
class MeasurementStore {
 public:
  /// The schema version this build writes and the newest it reads (stored in PRAGMA user_version).
  static constexpr int kSchemaVersion = 1;

  /// Opens (or, with create_if_missing, creates) the store at `path`. An existing empty file is
  /// initialised. Throws hwnas::Error naming the file when it is missing, its directory does not exist,
  /// it is not a SQLite database, it is a SQLite database of another program, or its schema is newer
  /// than kSchemaVersion.
  static MeasurementStore open(const std::filesystem::path& path, bool create_if_missing = true);
  /// A new, empty store that lives in memory only and is gone when destroyed: for measurements that
  /// are compared and thrown away (the profiler's repeatability check measures through the same
  /// pipeline as a campaign).
  static MeasurementStore in_memory();

  MeasurementStore(MeasurementStore&&) noexcept;
  MeasurementStore& operator=(MeasurementStore&&) noexcept;
  MeasurementStore(const MeasurementStore&) = delete;
  MeasurementStore& operator=(const MeasurementStore&) = delete;
  ~MeasurementStore();

  /// The file this store reads and writes (":memory:" for an in_memory() store).
  const std::filesystem::path& path() const;

  /// Stores one measurement in its own transaction, replacing any row with the same key (and
  /// incrementing its replaced_count). Throws hwnas::Error naming the field when the row is invalid:
  /// an empty platform_key, platform_json, kernel_type or config_key; a latency, spread or
  /// min/mean that is not a finite number >= 0; min_ms > median_ms; repeats < 1; timestamp < 0.
  void put(const StoredMeasurement& measurement);

  /// Stores all rows in one transaction: either every row is stored or (on any invalid row or error)
  /// none is. Later rows of the batch replace earlier rows with the same key.
  void put_batch(const std::vector<StoredMeasurement>& measurements);

  /// The stored measurement with this key, if any.
  std::optional<StoredMeasurement> find(const std::string& platform_key, const std::string& kernel_type,
                                        const std::string& config_key) const;
  /// Whether a measurement with this key is stored (what a resuming campaign asks before measuring).
  bool contains(const std::string& platform_key, const std::string& kernel_type,
                const std::string& config_key) const;

  /// Every matching measurement, in the order their keys were first stored.
  std::vector<StoredMeasurement> query(const MeasurementQuery& filter = {}) const;
  /// The number of matching measurements.
  std::size_t count(const MeasurementQuery& filter = {}) const;

  /// Writes the matching measurements as CSV: a header row naming the StoredMeasurement fields
  /// (platform_key,platform_json,kernel_type,config_key,campaign,median_ms,spread,repeats,min_ms,mean_ms,
  /// timestamp_unix,replaced_count), then one row per measurement in query() order, lines ending in LF;
  /// fields are quoted per RFC 4180 where needed, numbers printed so they read back exactly. The file is written whole
  /// or not at all (temporary file, then rename). Throws hwnas::Error naming the file if it cannot be
  /// written.
  void export_csv(const std::filesystem::path& csv_path, const MeasurementQuery& filter = {}) const;

  /// Records the start of campaign `name` with its spec (YAML text). Returns true when the campaign is
  /// new, false when it was already begun with exactly the same spec (a resume). Throws hwnas::Error
  /// naming the campaign and the file when it was begun with a different spec, or when name is empty.
  bool begin_campaign(const std::string& name, const std::string& spec_text);
  /// The spec a campaign was begun with, if it was.
  std::optional<std::string> campaign_spec(const std::string& name) const;
  /// Names of all begun campaigns, sorted.
  std::vector<std::string> campaigns() const;

 private:
  struct Impl;
  explicit MeasurementStore(std::unique_ptr<Impl> impl);
  /// Opens `path` with SQLite (":memory:" for in_memory()) and checks or initialises the schema.
  static MeasurementStore connect(const std::filesystem::path& path, bool create_if_missing);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwnas::devices
