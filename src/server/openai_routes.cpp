// /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings.
#include <chrono>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "server/chat_tools.h"
#include "server/routes.h"
#include "server/structured_output.h"
#include "tasks/chat/chat_completion.h"
#include "tasks/chat/chat_limits.h"
#include "tasks/embed_limits.h"
#include "tasks/chat/generation_settings.h"
#include "util/base64.h"

namespace argus::server {

namespace {

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string new_id(const char* prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{}-{:016x}", prefix, rng());
}

// The sampling fields both completion routes share.
const std::vector<std::string> kGenerationKeys = {"model", "stream", "stream_options", "temperature", "top_p",
                                                  "max_tokens", "max_completion_tokens", "stop", "seed", "n",
                                                  "presence_penalty", "frequency_penalty", "user", "top_k", "min_p",
                                                  "repetition_penalty", "logprobs"};

tasks::GenerationSettings generation_settings(const Context& ctx, const nlohmann::json& body,
                                              std::vector<std::string>& stop) {
  if (auto n = opt_int(body, "n"); n && *n != 1) bad_request("only n = 1 is supported", "n");
  if (auto lp = opt_bool(body, "logprobs"); lp && *lp) bad_request("logprobs are not supported", "logprobs");
  tasks::GenerationSettings s;
  s.sampling.temperature = opt_number(body, "temperature").value_or(1.0);  // OpenAI's default
  s.sampling.top_p = opt_number(body, "top_p").value_or(1.0);
  s.sampling.top_k = opt_int(body, "top_k").value_or(0);
  s.sampling.min_p = opt_number(body, "min_p").value_or(0.0);
  s.sampling.presence_penalty = opt_number(body, "presence_penalty").value_or(0.0);
  s.sampling.frequency_penalty = opt_number(body, "frequency_penalty").value_or(0.0);
  s.sampling.repetition_penalty = opt_number(body, "repetition_penalty").value_or(1.0);
  if (auto seed = body.find("seed"); seed != body.end() && !seed->is_null()) {
    if (!seed->is_number()) bad_request("Invalid type for 'seed': expected an integer", "seed");
    s.sampling.seed = as_bad_request([&] { return tasks::parse_seed(seed->dump()); });
  } else {
    s.sampling.seed = std::random_device{}();
  }
  auto max_tokens = opt_int(body, "max_completion_tokens");
  if (!max_tokens) max_tokens = opt_int(body, "max_tokens");
  s.max_tokens = max_tokens.value_or(std::min<int64_t>(256, ctx.options.max_tokens));
  if (s.max_tokens < 0) bad_request("max_tokens must be >= 0", "max_tokens");
  if (s.max_tokens > ctx.options.max_tokens)
    bad_request(fmt::format("max_tokens {} is over this server's limit of {}", s.max_tokens, ctx.options.max_tokens),
                "max_tokens");
  stop = string_or_list(body, "stop");
  s.stop = stop;
  return s;
}

tasks::GenerateOptions options_for(const tasks::GenerationSettings& s, const tasks::ChatModel& m) {
  try {
    return tasks::generate_options(s, m);
  } catch (const Error& e) {
    bad_request(e.what());
  }
}

void check_prompt_length(const Context& ctx, int64_t n) {
  if (ctx.options.max_prompt_tokens > 0 && n > ctx.options.max_prompt_tokens)
    bad_request(fmt::format("the prompt has {} tokens, over this server's limit of {}", n,
                            ctx.options.max_prompt_tokens),
                "messages");
}

// OpenAI finish reasons: an interrupted (timed out) answer counts as "length"; an answer
// that ended in tool calls is "tool_calls". argus adds "grammar": constrained decoding
// reached a point where no token of the vocabulary can continue the output validly.
std::string finish_reason(const tasks::ChatReply& r, bool called_tools = false) {
  if (called_tools && r.finish_reason == "stop") return "tool_calls";
  if (r.finish_reason == "grammar") return "grammar";
  return r.finish_reason == "stop" ? "stop" : "length";
}

nlohmann::json usage(const tasks::ChatReply& r) {
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.generated_tokens},
          {"total_tokens", r.prompt_tokens + r.generated_tokens}};
}

// OpenAI messages -> the chat template's messages, with the images decoded and encoded.
struct ChatInput {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  std::vector<at::Tensor> features;
};

// A {"type": "image_url", ...} item (json::value would throw on a non-string type).
bool is_image_item(const nlohmann::json& x) { return x.is_object() && x.contains("type") && x.at("type") == "image_url"; }

// The task's list bounds on `messages`, checked on the body before the model is taken
// or any image decoded.
void check_chat_counts(const nlohmann::json& body) {
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array()) return;  // chat_input names what is wrong
  as_bad_request([&] { tasks::check_message_count(it->size()); });
  size_t images = 0;
  for (const auto& m : *it) {
    auto c = m.is_object() ? m.find("content") : m.end();
    if (c == m.end() || !c->is_array()) continue;
    as_bad_request([&] { tasks::check_content_part_count(c->size()); });
    for (const auto& p : *c) images += is_image_item(p);
  }
  as_bad_request([&] { tasks::check_image_count(images); });
}

ChatInput chat_input(Context& ctx, const nlohmann::json& body, tasks::ChatModel& model) {
  auto it = body.find("messages");
  if (it == body.end()) bad_request("Missing required parameter: 'messages'", "messages");
  if (!it->is_array() || it->empty()) bad_request("'messages' must be a non-empty array", "messages");
  ChatInput in;
  std::vector<std::string> call_ids;  // of the assistant's tool calls so far
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& m = (*it)[i];
    const std::string where = fmt::format("messages[{}]", i);
    if (!m.is_object()) bad_request(where + " must be an object", where);
    std::string role = req_string(m, "role");
    if (role != "system" && role != "user" && role != "assistant" && role != "developer" && role != "tool")
      bad_request(
          fmt::format("{}.role \"{}\" is not supported (system, developer, user, assistant, tool)", where, role),
          where + ".role");
    if (role == "developer") role = "system";
    auto c = m.find("content");
    // An assistant message that only calls tools has no content (OpenAI sends null).
    const bool only_calls = role == "assistant" && m.contains("tool_calls") && !m["tool_calls"].is_null();
    if ((c == m.end() || c->is_null()) && only_calls) {
      nlohmann::ordered_json msg = {{"role", role}};
      add_tool_fields(m, where, msg, call_ids);
      in.messages.push_back(std::move(msg));
      continue;
    }
    if (c == m.end() || c->is_null()) bad_request(where + ".content is required", where + ".content");
    std::string text;
    nlohmann::json parts = nlohmann::json::array();
    if (c->is_string()) {
      text = c->get<std::string>();
      parts.push_back({{"type", "text"}, {"text", text}});
    } else if (c->is_array()) {
      for (size_t k = 0; k < c->size(); ++k) {
        const auto& p = (*c)[k];
        const std::string pw = fmt::format("{}.content[{}]", where, k);
        if (!p.is_object()) bad_request(pw + " must be an object", pw);
        const std::string type = req_string(p, "type");
        if (type == "text") {
          std::string t = req_string(p, "text");
          text += (text.empty() ? "" : "\n") + t;
          parts.push_back({{"type", "text"}, {"text", t}});
        } else if (type == "image_url") {
          if (!model.has_vision())
            bad_request(fmt::format("model is text-only ({}) and takes no images", model.model_type()), pw);
          auto u = p.find("image_url");
          std::string url;
          if (u != p.end() && u->is_string()) url = u->get<std::string>();
          else if (u != p.end() && u->is_object()) url = req_string(*u, "url");
          else bad_request(pw + ".image_url must be {\"url\": ...}", pw + ".image_url");
          in.features.push_back(model.encode_image(load_request_image(url, ctx.images, pw + ".image_url")));
          parts.push_back({{"type", "image"}});
        } else {
          bad_request(fmt::format("{}.type \"{}\" is not supported (text, image_url)", pw, type), pw + ".type");
        }
      }
    } else {
      bad_request(where + ".content must be a string or an array of parts", where + ".content");
    }
    // Text-only templates expect string content; multimodal ones iterate typed parts.
    // Tool results are strings in every tool template.
    nlohmann::ordered_json msg = {
        {"role", role}, {"content", model.has_vision() && role != "tool" ? nlohmann::ordered_json(parts) : nlohmann::ordered_json(text)}};
    add_tool_fields(m, where, msg, call_ids);
    in.messages.push_back(std::move(msg));
  }
  if (in.messages.back()["role"] == "assistant") bad_request("the last message must not be the assistant's", "messages");
  return in;
}

const text::ChatTemplate& template_of(const LoadedModel& m, const std::string& name) {
  if (!m.chat_template)
    bad_request("model `" + name + "` has no chat template: use /v1/completions with a formatted prompt", "model");
  return *m.chat_template;
}

// Deadline-bound interruption for generation.
std::function<bool()> until(ModelPool::Clock::time_point deadline, const std::function<bool()>& also) {
  return [deadline, also] { return ModelPool::Clock::now() > deadline || (also && also()); };
}

std::string sse(const nlohmann::json& j) {
  return "data: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

// Prompt ids of /v1/completions: a string (tokenized with BOS), an array of ids, or
// a one-element array of either.
std::vector<int64_t> completion_prompt(const nlohmann::json& body, tasks::ChatModel& model) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) bad_request("Missing required parameter: 'prompt'", "prompt");
  nlohmann::json p = *it;
  if (p.is_array() && p.size() == 1 && (p[0].is_string() || p[0].is_array())) p = p[0];
  if (p.is_string()) return model.require_tokenizer("/v1/completions").encode(p.get<std::string>(), true);
  if (p.is_array() && !p.empty()) {
    std::vector<int64_t> ids;
    for (const auto& x : p) {
      if (!x.is_number_integer()) bad_request("'prompt' must be a string or an array of token ids", "prompt");
      ids.push_back(x.get<int64_t>());
    }
    return ids;
  }
  bad_request("'prompt' must be a string or a non-empty array of token ids (one prompt per request)", "prompt");
}

}  // namespace

bool wants_stream(const nlohmann::json& body) { return opt_bool(body, "stream").value_or(false); }

nlohmann::json list_models(Context& ctx) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& m : ctx.pool.list()) {
    nlohmann::json about = {{"family", m.family}, {"role", role_name(m.role)}, {"loaded", m.loaded}};
    if (!m.lora.empty()) about["lora"] = m.lora;
    data.push_back({{"id", m.name}, {"object", "model"}, {"created", 0}, {"owned_by", "argus"}, {"argus", about}});
  }
  return {{"object", "list"}, {"data", data}};
}

namespace {

struct ChatJob {
  std::string name;
  tasks::GenerateOptions opts;
  std::vector<std::string> stop;
  bool include_usage = false;
};

ChatJob chat_job(Context& ctx, const nlohmann::json& body, const std::vector<std::string>& extra_keys,
                 const ModelPool::Lease& lease) {
  std::vector<std::string> keys = kGenerationKeys;
  keys.insert(keys.end(), extra_keys.begin(), extra_keys.end());
  check_known_keys(body, keys);
  ChatJob job;
  job.name = lease.info().name;
  auto s = generation_settings(ctx, body, job.stop);
  job.opts = options_for(s, *lease->chat);
  if (auto so = body.find("stream_options"); so != body.end() && so->is_object())
    job.include_usage = opt_bool(*so, "include_usage").value_or(false);
  return job;
}

}  // namespace

namespace {

// A validated generation request: its model held, the prompt tokenized once, the
// images encoded. Everything that can be refused is refused while preparing it, so
// a streamed request still gets a proper HTTP error before any event is sent.
struct Prepared {
  ModelPool::Clock::time_point deadline;  // for waiting on the model and generating together
  ModelPool::Lease lease;
  ChatJob job;
  std::vector<int64_t> ids;
  std::vector<at::Tensor> features;
  ToolRequest tools;
  tasks::ChatPrompt prompt;  // built from ids and features by finish_prepare
};

// What generation itself would refuse (no tokenizer to decode with, ids outside the
// vocabulary, a prompt over the context) is refused here, while a status can still say so.
void finish_prepare(Context& ctx, Prepared& p) {
  check_prompt_length(ctx, static_cast<int64_t>(p.ids.size()));
  p.prompt = as_bad_request([&] {
    p.lease->chat->require_tokenizer("generation");
    return p.lease->chat->build_prompt(p.ids, p.features);
  });
}

// `ordered`: the same body parsed with its keys in the client's order, which the tools'
// schemas keep in the prompt (Python's dicts do, so the reference templates print them so).
std::shared_ptr<Prepared> prepare_chat(Context& ctx, const nlohmann::json& body, const nlohmann::ordered_json& ordered) {
  auto p = std::make_shared<Prepared>();
  p->deadline = ctx.deadline();
  const std::string model = ctx.model_name(body, Role::Chat);
  check_chat_counts(body);
  p->lease = ctx.pool.acquire(model, Role::Chat, p->deadline);
  p->job = chat_job(ctx, body, {"messages", "tools", "tool_choice", "parallel_tool_calls", "response_format"}, p->lease);
  const auto& tmpl = template_of(*p->lease, p->job.name);
  p->tools = tool_request(ordered, tmpl.source(), p->job.name);
  // Constrained decoding: response_format, or the call tool_choice forces.
  auto format = response_format_grammar(ordered);
  auto forced = forced_call_grammar(p->tools);
  if (format && forced)
    bad_request("response_format cannot be combined with a tool_choice that forces a call", "response_format");
  if (format || forced)
    p->job.opts.make_constraint = as_bad_request([&] { return p->lease->chat->json_constraint(format ? format : forced); });
  ChatInput in = chat_input(ctx, body, *p->lease->chat);
  // tool_choice "none": the model is not shown the tools and nothing is parsed as a call.
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  if (p->tools.active()) vars["tools"] = p->tools.tools;
  p->ids = as_bad_request([&] { return tasks::tokenize_chat(*p->lease->chat, tmpl, in.messages, vars); });
  p->features = std::move(in.features);
  finish_prepare(ctx, *p);
  return p;
}

std::shared_ptr<Prepared> prepare_completion(Context& ctx, const nlohmann::json& body) {
  auto p = std::make_shared<Prepared>();
  p->deadline = ctx.deadline();
  p->lease = ctx.pool.acquire(ctx.model_name(body, Role::Chat), Role::Chat, p->deadline);
  p->job = chat_job(ctx, body, {"prompt", "echo", "suffix", "best_of"}, p->lease);
  p->ids = completion_prompt(body, *p->lease->chat);
  finish_prepare(ctx, *p);
  return p;
}

// Generates (deadline-bound; `gone` also stops it) and counts the tokens.
tasks::ChatReply run(Context& ctx, Prepared& p, const std::function<void(const std::string&)>& on_text = {},
                     const std::function<bool()>& gone = {}) {
  auto r = as_bad_request([&] {
    return tasks::complete_prompt(*p.lease->chat, p.prompt, p.job.opts, p.job.stop, on_text, until(p.deadline, gone));
  });
  ctx.metrics.add_tokens(r.prompt_tokens, r.generated_tokens);
  return r;
}

// One response object (or stream chunk) of `object` type around `fields`.
nlohmann::json envelope(const std::string& id, const char* object, int64_t created, const Prepared& p,
                        nlohmann::json fields) {
  nlohmann::json j = {{"id", id}, {"object", object}, {"created", created}, {"model", p.job.name}};
  j.update(fields);
  return j;
}

}  // namespace

GenerationJob chat_completions(Context& ctx, const nlohmann::json& body) {
  return chat_completions(ctx, body, nlohmann::ordered_json(body));
}

GenerationJob chat_completions(Context& ctx, const nlohmann::json& body, const nlohmann::ordered_json& ordered) {
  auto p = prepare_chat(ctx, body, ordered);
  return [&ctx, p](const Gone& gone) {
    auto r = run(ctx, *p, {}, gone);
    std::string content;
    nlohmann::json calls = reply_tool_calls(p->tools, r.text, content);
    nlohmann::json message = {{"role", "assistant"}, {"content", content}};
    if (!calls.empty()) {
      if (content.empty()) message["content"] = nullptr;  // as OpenAI answers a call without text
      message["tool_calls"] = calls;
    }
    return envelope(new_id("chatcmpl"), "chat.completion", now_s(), *p,
                    {{"choices",
                      {{{"index", 0},
                        {"message", message},
                        {"logprobs", nullptr},
                        {"finish_reason", finish_reason(r, !calls.empty())}}}},
                     {"usage", usage(r)}});
  };
}

StreamJob chat_completions_stream(Context& ctx, const nlohmann::json& body) {
  return chat_completions_stream(ctx, body, nlohmann::ordered_json(body));
}

StreamJob chat_completions_stream(Context& ctx, const nlohmann::json& body, const nlohmann::ordered_json& ordered) {
  auto p = prepare_chat(ctx, body, ordered);
  return [&ctx, p](const Emit& emit) {
    const std::string id = new_id("chatcmpl");
    const int64_t created = now_s();
    auto chunk = [&](const nlohmann::json& delta, const nlohmann::json& finish) {
      return sse(envelope(
          id, "chat.completion.chunk", created, *p,
          {{"choices", {{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}}}}));
    };
    bool gone = !emit(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
    // Text that may be turning into a tool call is held back until it is known.
    ToolCallStream calls(p->tools);
    auto r = run(
        ctx, *p,
        [&](const std::string& piece) {
          std::string shown = calls.push(piece);
          if (!shown.empty()) gone = gone || !emit(chunk({{"content", shown}}, nullptr));
        },
        [&] { return gone = gone || !emit(""); });
    if (gone) return;
    auto end = calls.finish();
    if (!end.content.empty()) emit(chunk({{"content", end.content}}, nullptr));
    for (const auto& delta : tool_call_deltas(end.tool_calls)) emit(chunk(delta, nullptr));
    emit(chunk(nlohmann::json::object(), finish_reason(r, !end.tool_calls.empty())));
    if (p->job.include_usage)
      emit(sse(envelope(id, "chat.completion.chunk", created, *p,
                        {{"choices", nlohmann::json::array()}, {"usage", usage(r)}})));
    emit("data: [DONE]\n\n");
  };
}

GenerationJob completions(Context& ctx, const nlohmann::json& body) {
  auto p = prepare_completion(ctx, body);
  return [&ctx, p](const Gone& gone) {
    auto r = run(ctx, *p, {}, gone);
    return envelope(
        new_id("cmpl"), "text_completion", now_s(), *p,
        {{"choices", {{{"index", 0}, {"text", r.text}, {"logprobs", nullptr}, {"finish_reason", finish_reason(r)}}}},
         {"usage", usage(r)}});
  };
}

StreamJob completions_stream(Context& ctx, const nlohmann::json& body) {
  auto p = prepare_completion(ctx, body);
  return [&ctx, p](const Emit& emit) {
    const std::string id = new_id("cmpl");
    const int64_t created = now_s();
    auto chunk = [&](const std::string& text, const nlohmann::json& finish) {
      return sse(envelope(
          id, "text_completion", created, *p,
          {{"choices", {{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}}}}}));
    };
    bool gone = false;
    auto r = run(
        ctx, *p, [&](const std::string& piece) { gone = gone || !emit(chunk(piece, nullptr)); },
        [&] { return gone = gone || !emit(""); });
    if (gone) return;
    emit(chunk("", finish_reason(r)));
    emit("data: [DONE]\n\n");
  };
}

nlohmann::json embeddings(Context& ctx, const nlohmann::json& body) {
  check_known_keys(body, {"model", "input", "encoding_format", "dimensions", "user"});
  const std::string model = ctx.model_name(body, Role::Embed);
  const std::string format = opt_string(body, "encoding_format").value_or("float");
  if (format != "float" && format != "base64")
    bad_request("encoding_format must be \"float\" or \"base64\"", "encoding_format");
  if (opt_int(body, "dimensions")) bad_request("dimensions (truncated embeddings) are not supported", "dimensions");
  auto it = body.find("input");
  if (it == body.end() || it->is_null()) bad_request("Missing required parameter: 'input'", "input");
  // Inputs: strings, and (an argus extension) {"type": "image_url", "image_url": {"url": ...}} items.
  nlohmann::json items = it->is_array() ? *it : nlohmann::json::array({*it});
  if (items.empty()) bad_request("'input' must not be empty", "input");
  size_t n_images = 0;
  for (const auto& x : items) n_images += is_image_item(x);
  as_bad_request([&] { tasks::check_embed_counts(items.size() - n_images, n_images); });
  std::vector<std::string> texts;
  std::vector<image::Image> images;
  std::vector<std::pair<bool, size_t>> order;  // (is_image, index in its list)
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& x = items[i];
    const std::string where = fmt::format("input[{}]", i);
    if (x.is_string()) {
      if (x.get<std::string>().empty()) bad_request(where + " is empty", where);
      order.emplace_back(false, texts.size());
      texts.push_back(x.get<std::string>());
    } else if (is_image_item(x)) {
      auto u = x.find("image_url");
      std::string url = u != x.end() && u->is_object() ? req_string(*u, "url")
                        : u != x.end() && u->is_string() ? u->get<std::string>()
                                                          : (bad_request(where + ".image_url is required", where), "");
      order.emplace_back(true, images.size());
      images.push_back(load_request_image(url, ctx.images, where));
    } else {
      bad_request(where + " must be a string or {\"type\": \"image_url\", ...} (token-id inputs are not supported)",
                  where);
    }
  }
  // The model is taken once the request is checked and its images decoded.
  auto lease = ctx.pool.acquire(model, Role::Embed, ctx.deadline());
  at::Tensor te, ie;
  try {
    if (!texts.empty()) te = lease->embed->embed_texts(texts).to(at::kFloat).contiguous();
    if (!images.empty()) ie = lease->embed->embed_images(images).to(at::kFloat).contiguous();
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    bad_request(e.what(), "input");
  }
  nlohmann::json data = nlohmann::json::array();
  for (size_t i = 0; i < order.size(); ++i) {
    at::Tensor row = (order[i].first ? ie : te)[static_cast<int64_t>(order[i].second)].contiguous();
    const float* p = row.data_ptr<float>();
    nlohmann::json emb;
    if (format == "base64")
      emb = util::base64_encode(reinterpret_cast<const uint8_t*>(p), static_cast<size_t>(row.numel()) * sizeof(float));
    else
      emb = std::vector<float>(p, p + row.numel());
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", emb}});
  }
  return {{"object", "list"},
          {"data", data},
          {"model", lease.info().name},
          {"usage", {{"prompt_tokens", 0}, {"total_tokens", 0}}}};
}

}  // namespace argus::server
