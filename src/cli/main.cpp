#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "engine/runtime.h"
#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"argus: multimodal foundation models in one C++ program"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "compute threads (default: one per core)");
  app.parse_complete_callback([&] { argus::engine::init_runtime(threads); });
  argus::cli::add_inspect(app);
  argus::cli::add_tokenize(app);
  argus::cli::add_template(app);
  argus::cli::add_embed(app);
  argus::cli::add_classify(app);
  argus::cli::add_index(app);
  argus::cli::add_detect(app);
  argus::cli::add_refseg(app);
  argus::cli::add_ground(app);
  argus::cli::add_segment(app);
  argus::cli::add_generate(app);
  argus::cli::add_ask(app);
  argus::cli::add_chat(app);
  argus::cli::add_serve(app);
  argus::cli::add_world(app);
  argus::cli::add_lora(app);
  argus::cli::add_pull(app);
  argus::cli::add_models(app);
  argus::cli::add_mcp(app);
  argus::cli::add_agent(app);
  argus::cli::set_command_line(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and friends
    std::fprintf(stderr, "argus: error: %s (see --help)\n", e.what());
    return 1;
  } catch (const argus::Error& e) {
    std::fprintf(stderr, "argus: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "argus: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
