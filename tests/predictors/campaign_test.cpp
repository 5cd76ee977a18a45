#include "hwnas/predictors/profiling/campaign.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "error_of.h"

#include "hwnas/core/error.h"
#include "hwnas/devices/measurement_store.h"

namespace hwnas::predictors {
namespace {

namespace fs = std::filesystem;

/// A small, fast campaign: 4 types, a few kernels each, short profiling. The host-speed sentinel is on,
/// without waits, and without the final sweep, which could measure a row twice and so blur what these
/// tests count (host_speed_test.cpp tests the sweep).
std::string small_campaign(const fs::path& db, const std::string& name = "test-campaign") {
  return "campaign: " + name + "\nplatform: libtorch-cpu-t1\ndatabase: " + db.string() +
         "\nseed: 3\nchunk: 2\n"
         "profile: {warmup_runs: 1, min_warmup_ms: 0, repeats: 3, rounds: 1, min_sample_ms: 0.02, max_remeasure: 0}\n"
         "host_speed: {first_wait_s: 0, final_sweep: false}\n"
         "prior: {spaces: [nb201], archs_per_space: 3}\n"
         "random: {hw: [4, 8], cin: [4, 16], cout: [4, 16]}\n"
         "kernels:\n"
         "  - {type: relu, random: 3}\n"
         "  - {type: add, random: 2}\n"
         "  - {type: conv, prior: 2, random: 1}\n"
         "  - {type: avgpool, prior: 1}\n";
}

class CampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hwnas_campaign_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  /// The error parsing a campaign text gives (as if read from c.yaml in dir_).
  std::string error_of(const std::string& text) const {
    return hwnas::test::error_of([&] { parse_campaign(text, "c.yaml", dir_); });
  }
  fs::path dir_;
};

TEST_F(CampaignTest, ParsesAndRejectsBadFilesNamingTheLine) {
  const CampaignSpec spec = parse_campaign(small_campaign(dir_ / "m.db"), "c.yaml", dir_);
  EXPECT_EQ(spec.platform, "libtorch-cpu-t1");
  EXPECT_EQ(spec.chunk, 2u);
  EXPECT_EQ(spec.profile.repeats, 3);
  ASSERT_EQ(spec.kernels.size(), 4u);
  EXPECT_EQ(spec.kernels[2].type, "conv");
  EXPECT_EQ(spec.kernels[2].prior, 2u);
  EXPECT_EQ(spec.random.hw.max, 8);
  EXPECT_TRUE(spec.host_speed.enabled);
  EXPECT_EQ(spec.host_speed.first_wait_seconds, 0);
  EXPECT_FALSE(spec.host_speed.final_sweep);
  EXPECT_EQ(spec.host_speed.max_waits, HostSpeedOptions{}.max_waits);  // what it leaves out keeps its default
  const std::string no_sentinel = "campaign: x\nplatform: p\ndatabase: d\nkernels: [{type: relu, random: 1}]\n"
                                  "host_speed: {enabled: false, tolerance: 0.2, slow_phase_chunks: 5, "
                                  "max_unstable_share: 0.75}\n";
  EXPECT_FALSE(parse_campaign(no_sentinel, "c.yaml", dir_).host_speed.enabled);
  EXPECT_EQ(parse_campaign(no_sentinel, "c.yaml", dir_).host_speed.tolerance, 0.2);
  EXPECT_EQ(parse_campaign(no_sentinel, "c.yaml", dir_).host_speed.slow_phase_chunks, 5);
  EXPECT_EQ(parse_campaign(no_sentinel, "c.yaml", dir_).host_speed.max_unstable_share, 0.75);
  const std::string prepared = "campaign: x\nplatform: p\ndatabase: d\nkernels: [{type: relu, random: 1}]\n"
                               "profile: {rounds: 6, preparations: 3}\n";
  EXPECT_EQ(parse_campaign(prepared, "c.yaml", dir_).profile.preparations, 3);
  EXPECT_EQ(spec.profile.preparations, 1);  // left out: one preparation
  EXPECT_NE(error_of("campaign: x\nplatform: p\ndatabase: d\nkernels: [{type: relu, random: 1}]\n"
                     "profile: {preparations: 0}\n")
                .find("c.yaml:5:"),
            std::string::npos);
  EXPECT_NE(error_of("campaign: x\nplatform: p\ndatabase: d\nkernels: [{type: relu, random: 1}]\n"
                     "host_speed: {max_unstable_share: 2}\n")
                .find("c.yaml:5: 'host_speed.max_unstable_share' is 2, expected a share <= 1"),
            std::string::npos);

  EXPECT_NE(error_of(small_campaign(dir_ / "m.db") + "colour: red\n").find("c.yaml:15: unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of("campaign: x\nplatform: p\ndatabase: d\nrandom: {hw: [9, 3]}\nkernels: [{type: relu}]\n")
                .find("c.yaml:4"),
            std::string::npos);
  EXPECT_NE(error_of("campaign: x\nplatform: p\ndatabase: d\n").find("lists anything to measure"), std::string::npos);
  EXPECT_NE(error_of("campaign: [x\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(error_of("campaign: x\nplatform: p\ndatabase: d\nkernels: [{type: relu, random: 1}]\n"
                     "host_speed: {enabled: maybe}\n")
                .find("c.yaml:5:"),
            std::string::npos);
  EXPECT_NE(error_of("campaign: x\nplatform: p\ndatabase: d\nkernels: [{type: relu, random: 1}]\n"
                     "host_speed: {enabled: maybe}\n")
                .find("'host_speed.enabled' is 'maybe', expected true or false"),
            std::string::npos);
}

TEST_F(CampaignTest, PlanIsDeterministicAndRespectsQuotas) {
  const CampaignSpec spec = parse_campaign(small_campaign(dir_ / "m.db"), "c.yaml", dir_);
  const auto a = plan_campaign(spec);
  const auto b = plan_campaign(spec);
  ASSERT_EQ(a.size(), b.size());
  std::map<std::string, int> per_type;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kernel.key, b[i].kernel.key);
    ++per_type[a[i].kernel.type];
  }
  EXPECT_EQ(per_type["relu"], 3);
  EXPECT_EQ(per_type["add"], 2);
  EXPECT_LE(per_type["conv"], 3);
  EXPECT_GE(per_type["conv"], 2);
  EXPECT_EQ(per_type["avgpool"], 1);
}

TEST_F(CampaignTest, RemeasuresRowsStoredBeforeACutoffAndResumesAfterIt) {
  const fs::path db = dir_ / "m.db";
  const CampaignSpec spec = parse_campaign(small_campaign(db), "c.yaml", dir_);
  const std::size_t planned = plan_campaign(spec).size();
  CampaignRunOptions quiet;
  quiet.handle_signals = false;
  ASSERT_EQ(run_campaign(spec, quiet).progress.measured, planned);
  // Timestamps are whole seconds: a cutoff a second after the first run is later than all its rows.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CampaignRunOptions again = quiet;
  again.remeasure_before =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto second = run_campaign(spec, again);
  EXPECT_EQ(second.progress.already_measured, 0u);
  EXPECT_EQ(second.progress.measured, planned);
  const auto rows = devices::MeasurementStore::open(db).query();
  ASSERT_EQ(rows.size(), planned);
  for (const auto& row : rows) {
    EXPECT_EQ(row.replaced_count, 1) << row.kernel_type;
    EXPECT_GE(row.timestamp_unix, *again.remeasure_before) << row.kernel_type;
  }
  // The same command again (as after a kill): every row is newer than the cutoff now.
  EXPECT_EQ(run_campaign(spec, again).progress.measured, 0u);
}

TEST_F(CampaignTest, KilledCampaignResumesWithoutMeasuringAnythingTwice) {
  const fs::path db = dir_ / "m.db";
  const CampaignSpec spec = parse_campaign(small_campaign(db), "c.yaml", dir_);
  const std::size_t planned = plan_campaign(spec).size();
  ASSERT_GE(planned, 7u);

  // The child is killed (SIGKILL, no cleanup) right after its second chunk is committed.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    CampaignRunOptions options;
    options.handle_signals = false;
    options.on_progress = [](const CampaignProgress& p) {
      if (p.measured >= 4) ::raise(SIGKILL);
    };
    try {
      run_campaign(spec, options);
    } catch (...) {
    }
    ::_exit(3);  // not reached when the kill happens
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited with status " << status;
  EXPECT_EQ(devices::MeasurementStore::open(db, false).count(), 4u);

  CampaignRunOptions options;
  options.handle_signals = false;
  const CampaignReport resumed = run_campaign(spec, options);
  EXPECT_EQ(resumed.progress.planned, planned);
  EXPECT_EQ(resumed.progress.already_measured, 4u);
  EXPECT_EQ(resumed.progress.measured, planned - 4);
  const auto store = devices::MeasurementStore::open(db, false);
  EXPECT_EQ(store.count(), planned);
  for (const auto& row : store.query()) {
    EXPECT_EQ(row.replaced_count, 0) << "measured twice: " << row.config_key;
    EXPECT_GT(row.median_ms, 0);
    EXPECT_EQ(row.campaign, "test-campaign");
  }
  // A finished campaign run again measures nothing.
  EXPECT_EQ(run_campaign(spec, options).progress.measured, 0u);
}

TEST_F(CampaignTest, ShippedCampaignConfigsPlanTheirKernels) {
  std::size_t campaigns = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(HWNAS_TEST_DATA_DIR).parent_path() / "configs")) {
    if (entry.path().filename().string().rfind("campaign_", 0) != 0) continue;
    ++campaigns;
    const CampaignSpec spec = load_campaign(entry.path());
    std::size_t quota = 0;
    for (const auto& k : spec.kernels) quota += k.prior + k.random + k.vae;
    const auto plan = plan_campaign(spec);
    // Every quota is met except where a space holds fewer distinct kernels of a type than asked.
    EXPECT_GE(plan.size(), quota * 9 / 10) << entry.path();
    EXPECT_LE(plan.size(), quota) << entry.path();
  }
  EXPECT_GE(campaigns, 1u);
}

TEST_F(CampaignTest, VaeQuotasAreParsedAndPlannedBeyondThePriorKernels) {
  const std::string head =
      "campaign: v\nplatform: libtorch-cpu-t1\ndatabase: m.db\nseed: 5\n"
      "prior: {spaces: [nb201], archs_per_space: 4}\n"
      "vae: {hidden: 32, latent: 8, steps: 100, batch_size: 32, loss_balance: 6}\n"  // a tiny, fast VAE
      "kernels:\n";
  const CampaignSpec spec = parse_campaign(head + "  - {type: conv, prior: 3, vae: 4}\n", "c.yaml", dir_);
  ASSERT_EQ(spec.kernels.size(), 1u);
  EXPECT_EQ(spec.kernels[0].vae, 4u);
  EXPECT_EQ(spec.vae.hidden, 32);
  EXPECT_EQ(spec.vae.steps, 100);
  EXPECT_EQ(spec.vae.loss_balance, 6.0);
  const auto a = plan_campaign(spec);
  const auto b = plan_campaign(spec);
  // 3 kernels from the prior, then 4 from the VAE that the prior did not plan already: 7 distinct.
  ASSERT_EQ(a.size(), 7u);
  ASSERT_EQ(b.size(), a.size());
  std::set<std::string> keys;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kernel.type, "conv");
    EXPECT_EQ(a[i].kernel.key, b[i].kernel.key);
    keys.insert(a[i].kernel.key);
  }
  EXPECT_EQ(keys.size(), 7u);

  // The entry is line 8; a relu has no kernel size or stride for the VAE to learn.
  const std::string relu = error_of(head + "  - {type: relu, vae: 2}\n");
  EXPECT_NE(relu.find("c.yaml:8"), std::string::npos) << relu;
  EXPECT_NE(relu.find("cannot be sampled by the VAE"), std::string::npos) << relu;
  EXPECT_NE(error_of(head + "  - {type: '*', prior: 2, vae: 2}\n").find("cannot be sampled by the VAE"),
            std::string::npos);
  EXPECT_NE(error_of("campaign: v\nplatform: p\ndatabase: m.db\nvae: {epochs: 3}\nkernels: [{type: conv, vae: 2}]\n")
                .find("c.yaml:4: unknown key 'epochs' in vae"),
            std::string::npos);
}

TEST_F(CampaignTest, SameNameWithAnotherSpecIsRefused) {
  const fs::path db = dir_ / "m.db";
  auto store = devices::MeasurementStore::open(db);
  store.begin_campaign("test-campaign", "something else");
  const CampaignSpec spec = parse_campaign(small_campaign(db), "c.yaml", dir_);
  CampaignRunOptions options;
  options.handle_signals = false;
  EXPECT_THROW(run_campaign(spec, options), Error);
}

}  // namespace
}  // namespace hwnas::predictors
