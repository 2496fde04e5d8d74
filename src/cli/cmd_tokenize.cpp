#include "cli/commands.h"
#include "hub/pull.h"
#include "text/tokenizer.h"

namespace argus::cli {

void add_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Token ids and tokens of a text, as the checkpoint's tokenizer makes them");
  struct Opts {
    std::string model, text;
    bool no_special = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "checkpoint directory or org/name[@rev], tokenizer.json, tokenizer.model or CLIP .txt.gz vocabulary")
      ->required();
  cmd->add_flag("--no-special", o->no_special, "do not add the BOS/EOS tokens the tokenizer adds by default");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->add_option("text", o->text, "text to tokenize")->required();
  cmd->callback([o] {
    auto tok = text::load_tokenizer(hub::resolve_model(o->model));
    auto ids = tok->encode(o->text, !o->no_special);
    auto tokens = tok->tokens(ids);
    if (o->json) return print_json({{"ids", ids}, {"tokens", tokens}});
    for (size_t i = 0; i < ids.size(); ++i) std::printf("%lld\t%s\n", static_cast<long long>(ids[i]), tokens[i].c_str());
  });
}

}  // namespace argus::cli
