#pragma once
// One function per verb adds its subcommand to the app; the subcommand's callback runs the verb.

#include <CLI/CLI.hpp>

namespace hwnas::cli {

void add_spaces_command(CLI::App& app);
void add_platforms_command(CLI::App& app);
void add_plugins_command(CLI::App& app);
void add_measure_command(CLI::App& app);
void add_profile_command(CLI::App& app);
void add_search_command(CLI::App& app);
void add_import_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_proxies_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);

/// Non-zero when a long verb (search, proxies) was interrupted (130, as a shell reports SIGINT), so
/// scripts can tell.
extern int search_exit_code;

inline void add_all_commands(CLI::App& app) {
  add_spaces_command(app);
  add_platforms_command(app);
  add_plugins_command(app);
  add_measure_command(app);
  add_profile_command(app);
  add_search_command(app);
  add_import_command(app);
  add_train_command(app);
  add_predict_command(app);
  add_proxies_command(app);
  add_eval_command(app);
  add_calibrate_command(app);
}

}  // namespace hwnas::cli
