// Each subcommand registers itself on the app and runs through a callback; the
// callbacks are thin: parse, call tasks/engine, print.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace argus::cli {

void add_inspect(CLI::App& app);
void add_tokenize(CLI::App& app);
void add_embed(CLI::App& app);
void add_classify(CLI::App& app);
void add_index(CLI::App& app);  // `index build` and `search`

// Prints JSON (one line) or pretty text to stdout.
void print_json(const nlohmann::json& j);

}  // namespace argus::cli
