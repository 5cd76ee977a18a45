// hwnas: the command-line program. Thin by design: parses flags and calls the library.
// Every failure prints one line to stderr ("hwnas: error: ...") and exits non-zero.

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands/commands.h"
#include "hwnas/core/error.h"
#include "hwnas/plugin/plugin_loader.h"

int main(int argc, char** argv) {
  CLI::App app{"hwnas: hardware-aware neural architecture search with kernel-level latency predictors"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hwnas 0.1.0");
  try {
    // Plugins load before the verb runs, so their spaces are usable everywhere a built-in one is.
    hwnas::plugin::load_space_sources_from_env();
    app.add_option("--plugin", "load a search-space plugin (.so) or a YAML space before running (repeatable)")
        ->each([](const std::string& path) { hwnas::plugin::load_space_source(path); })
        ->trigger_on_parse();
    hwnas::cli::add_all_commands(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hwnas: error: %s\n", e.what());
    return 1;
  }
  return hwnas::cli::search_exit_code;
}
