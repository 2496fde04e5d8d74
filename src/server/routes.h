// Route handlers, independent of the HTTP library: each takes the parsed JSON body
// and returns the JSON answer. A streamed route validates the request and takes its
// model first (errors are thrown as ApiError, before anything is sent), then returns
// the job that streams server-sent events through `emit` (which returns false once
// the client has gone; emit("") only asks whether it is still there).
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/context.h"

namespace argus::server {

using Emit = std::function<bool(const std::string& event_data)>;
using StreamJob = std::function<void(const Emit& emit)>;
// A validated non-streamed generation, run once the response has begun so that it can
// poll `gone` (the client has disconnected) between tokens and stop, releasing the model.
using Gone = std::function<bool()>;
using GenerationJob = std::function<nlohmann::json(const Gone& gone)>;

// OpenAI-compatible.
nlohmann::json list_models(Context& ctx);
bool wants_stream(const nlohmann::json& body);
GenerationJob chat_completions(Context& ctx, const nlohmann::json& body);
StreamJob chat_completions_stream(Context& ctx, const nlohmann::json& body);
// The same with the body also parsed in its key order (the tools' schemas keep it).
GenerationJob chat_completions(Context& ctx, const nlohmann::json& body, const nlohmann::ordered_json& ordered);
StreamJob chat_completions_stream(Context& ctx, const nlohmann::json& body, const nlohmann::ordered_json& ordered);
GenerationJob completions(Context& ctx, const nlohmann::json& body);
StreamJob completions_stream(Context& ctx, const nlohmann::json& body);
nlohmann::json embeddings(Context& ctx, const nlohmann::json& body);

// Vision, mirroring the CLI's JSON.
nlohmann::json classify_route(Context& ctx, const nlohmann::json& body);
nlohmann::json detect_route(Context& ctx, const nlohmann::json& body);
nlohmann::json segment_route(Context& ctx, const nlohmann::json& body);
nlohmann::json ground_route(Context& ctx, const nlohmann::json& body);

}  // namespace argus::server
