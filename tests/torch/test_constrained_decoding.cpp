// Constrained decoding with a real model: the random-weight LLaVA fixture, whose answers
// are noise, always writes JSON that parses and validates against the schema it is
// given (random schemas of the supported subset); a constraint that admits nothing stops
// generation with finish reason "grammar" instead of looping.
#include <gtest/gtest.h>

#include <random>

#include "../common/json_schema_check.h"
#include "parity.h"
#include "tasks/chat/chat_completion.h"
#include "tasks/chat/chat_model.h"
#include "tasks/chat/generation_settings.h"
#include "util/error.h"

using namespace argus;
using json = nlohmann::json;

namespace {

tasks::ChatModel& fixture_model() {
  static auto m = tasks::ChatModel::open(test::fixture("llava"));
  return *m;
}

tasks::ChatReply constrained(const json& schema, uint64_t seed, double temperature) {
  auto& model = fixture_model();
  tasks::GenerationSettings s;
  s.max_tokens = 1900;  // every schema here ends well within it (see the caps in json_schema_grammar.h)
  s.sampling.temperature = temperature;
  s.sampling.seed = seed;
  auto opts = tasks::generate_options(s, model);
  opts.make_constraint = model.json_constraint(text::constrain::JsonGrammar::compile(schema));
  auto ids = model.require_tokenizer("test").encode("USER: answer in JSON ASSISTANT:", true);
  return tasks::complete_ids(model, ids, {}, opts, {});
}

// Allows nothing, ever (or only the end): what a grammar does on a vocabulary that
// cannot spell its next byte.
struct NothingAllowed : text::constrain::TokenConstraint {
  bool complete = false;
  void next_allowed(std::vector<uint8_t>& allowed, bool& may_end) override {
    std::fill(allowed.begin(), allowed.end(), 0);
    may_end = complete;
  }
  void accept(int64_t) override { ADD_FAILURE() << "no token was allowed"; }
};

}  // namespace

TEST(ConstrainedDecoding, RandomSchemasOnTheRandomModelAlwaysValidate) {
  std::mt19937 rng(7);
  for (int i = 0; i < 24; ++i) {
    const json schema = test::random_schema(rng, 2);
    auto r = constrained(schema, 100 + i, i % 2 ? 1.0 : 0.0);
    ASSERT_EQ(r.finish_reason, "stop") << schema.dump() << " -> " << r.text;
    json v = json::parse(r.text, nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << schema.dump() << " -> " << r.text;
    EXPECT_TRUE(test::schema_valid(v, schema)) << schema.dump() << " -> " << r.text;
  }
}

TEST(ConstrainedDecoding, NoAllowedTokenStopsWithGrammarNotALoop) {
  auto& model = fixture_model();
  tasks::GenerationSettings s;
  s.max_tokens = 50;
  auto opts = tasks::generate_options(s, model);
  opts.make_constraint = [] { return std::make_shared<NothingAllowed>(); };
  auto ids = model.require_tokenizer("test").encode("USER: hi ASSISTANT:", true);
  auto r = tasks::complete_ids(model, ids, {}, opts, {});
  EXPECT_EQ(r.finish_reason, "grammar");
  EXPECT_EQ(r.generated_tokens, 0);
  // Complete output and nothing more to add: a plain stop, even without an eos token.
  opts.eos_ids.clear();
  opts.make_constraint = [] {
    auto c = std::make_shared<NothingAllowed>();
    c->complete = true;
    return c;
  };
  EXPECT_EQ(tasks::complete_ids(model, ids, {}, opts, {}).finish_reason, "stop");
}

TEST(ConstrainedDecoding, SchemaFileErrorsNameTheFile) {
  tasks::GenerationSettings s;
  s.json_schema_file = "/nonexistent/schema.json";
  try {
    tasks::generate_options(s, fixture_model());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/schema.json"), std::string::npos) << e.what();
  }
}
