// Route handlers, independent of the HTTP library: each takes the parsed JSON body
// and returns the JSON answer, or streams server-sent events through `emit` (which
// returns false once the client has gone). Errors are thrown as ApiError.
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/context.h"

namespace argus::server {

using Emit = std::function<bool(const std::string& event_data)>;

// OpenAI-compatible.
nlohmann::json list_models(Context& ctx);
bool wants_stream(const nlohmann::json& body);
nlohmann::json chat_completions(Context& ctx, const nlohmann::json& body);
void chat_completions_stream(Context& ctx, const nlohmann::json& body, const Emit& emit);
nlohmann::json completions(Context& ctx, const nlohmann::json& body);
void completions_stream(Context& ctx, const nlohmann::json& body, const Emit& emit);
nlohmann::json embeddings(Context& ctx, const nlohmann::json& body);

// Vision, mirroring the CLI's JSON.
nlohmann::json classify_route(Context& ctx, const nlohmann::json& body);
nlohmann::json detect_route(Context& ctx, const nlohmann::json& body);
nlohmann::json segment_route(Context& ctx, const nlohmann::json& body);
nlohmann::json ground_route(Context& ctx, const nlohmann::json& body);

}  // namespace argus::server
