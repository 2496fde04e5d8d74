// What every route handler shares: the options, the models, the image policy and
// the metrics; plus the request-body helpers that turn JSON type errors into
// OpenAI-style 400s naming the parameter.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/metrics.h"
#include "server/model_pool.h"
#include "server/request_image.h"
#include "server/server_options.h"

namespace argus::server {

struct Context {
  ServerOptions options;
  ModelPool pool;
  ImagePolicy images;
  Metrics metrics;

  ModelPool::Clock::time_point deadline() const {
    return ModelPool::Clock::now() +
           std::chrono::duration_cast<ModelPool::Clock::duration>(std::chrono::duration<double>(options.request_timeout_s));
  }
  // body["model"], or the only model of `role` when the request names none.
  std::string model_name(const nlohmann::json& body, Role role, const char* key = "model") const;
};

// Typed field access: absent -> nullopt / default; present with the wrong type -> 400.
std::optional<std::string> opt_string(const nlohmann::json& body, const char* key);
std::optional<double> opt_number(const nlohmann::json& body, const char* key);
std::optional<int64_t> opt_int(const nlohmann::json& body, const char* key);
std::optional<bool> opt_bool(const nlohmann::json& body, const char* key);
std::string req_string(const nlohmann::json& body, const char* key);
// A string or an array of strings (OpenAI's `stop`, `input`, ...).
std::vector<std::string> string_or_list(const nlohmann::json& body, const char* key);

// Runs a task call: argus::Error from it (bad prompts, empty queries, ...) is the
// caller's fault, so a 400; ApiErrors pass through.
template <class Run>
auto as_bad_request(Run&& run) -> decltype(run()) {
  try {
    return run();
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    bad_request(e.what());
  }
}

// Rejects keys outside `known` as OpenAI does ("Unrecognized request argument supplied").
void check_known_keys(const nlohmann::json& body, const std::vector<std::string>& known);

}  // namespace argus::server
