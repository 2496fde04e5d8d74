// Each subcommand registers itself on the app and runs through a callback; the
// callbacks are thin: parse, call tasks/engine, print.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace argus::tasks {
struct GenerationSettings;
}

namespace argus::cli {

void add_inspect(CLI::App& app);
void add_tokenize(CLI::App& app);
void add_template(CLI::App& app);  // chat template rendering
void add_embed(CLI::App& app);
void add_classify(CLI::App& app);
void add_index(CLI::App& app);  // `index build` and `search`
void add_detect(CLI::App& app);
void add_refseg(CLI::App& app);
void add_ground(CLI::App& app);
void add_segment(CLI::App& app);
void add_generate(CLI::App& app);
void add_ask(CLI::App& app);
void add_chat(CLI::App& app);
void add_serve(CLI::App& app);  // HTTP server
void add_world(CLI::App& app);  // generated world: generate, train, eval
void add_lora(CLI::App& app);   // `lora merge`
void add_pull(CLI::App& app);   // fetch from the Hugging Face hub
void add_models(CLI::App& app); // list / rm the hub cache
void add_mcp(CLI::App& app);    // the vision tools as an MCP server (stdio)
void add_agent(CLI::App& app);  // an LLM that calls the vision tools

// The arguments this process was started with (without the program name): a
// data-parallel launch starts its workers with the same command.
void set_command_line(int argc, char** argv);
const std::vector<std::string>& command_line();

// The sampling flags generate, ask and chat share (defined in cmd_generate.cpp).
void add_generation_flags(CLI::App* cmd, tasks::GenerationSettings& s);

// Prints JSON (one line) or pretty text to stdout.
void print_json(const nlohmann::json& j);

}  // namespace argus::cli
