// Errors as the OpenAI API reports them: an HTTP status and
// {"error":{"message","type","param","code"}}. Handlers throw ApiError; anything
// else that escapes (argus::Error from bad input deep in a task) becomes a 400.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace argus::server {

class ApiError : public Error {
 public:
  ApiError(int status, std::string message, std::string type = "invalid_request_error", std::string param = "",
           std::string code = "")
      : Error(std::move(message)), status_(status), type_(std::move(type)), param_(std::move(param)),
        code_(std::move(code)) {}
  int status() const { return status_; }
  nlohmann::json body() const;

 private:
  int status_;
  std::string type_, param_, code_;
};

// The error object for a status and message (param/code null when empty).
nlohmann::json error_body(const std::string& message, const std::string& type, const std::string& param = "",
                          const std::string& code = "");
// The OpenAI error type for an HTTP status (400 invalid_request_error, 401
// authentication_error, 404 not_found_error, 429 rate_limit_error, 5xx server_error, ...).
std::string error_type_for_status(int status);

// Shorthands for the common cases.
[[noreturn]] void bad_request(const std::string& message, const std::string& param = "");

}  // namespace argus::server
