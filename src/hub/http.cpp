#include "hub/http.h"

#include <algorithm>
#include <cctype>

#include <httplib.h>

#include "util/error.h"

namespace argus::hub {

namespace {

struct Url {
  std::string origin, path;  // "http://127.0.0.1:8000", "/a/b?c"
};

Url split_url(const std::string& url, const std::string& default_origin) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {default_origin, url.empty() || url[0] != '/' ? "/" + url : url};
  const size_t slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::map<std::string, std::string> lowered(const httplib::Headers& h) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : h) out.emplace(lower(k), v);
  return out;
}

std::unique_ptr<httplib::Client> client_for(const std::string& origin) {
  auto c = std::make_unique<httplib::Client>(origin);
  if (!c->is_valid()) fail("cannot connect to {}: not an http(s) URL", origin);
  c->set_connection_timeout(10);
  c->set_read_timeout(60);
  c->set_follow_location(false);
  return c;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

Http::Http(std::string endpoint, std::string token) : endpoint_(std::move(endpoint)), token_(std::move(token)) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

namespace {

httplib::Headers base_headers(const std::string& token, bool send_token) {
  // identity: sizes and hashes are of the stored bytes, not of a compressed transfer.
  httplib::Headers h = {{"Accept-Encoding", "identity"}, {"User-Agent", "argus"}};
  if (send_token && !token.empty()) h.emplace("Authorization", "Bearer " + token);
  return h;
}

HttpResponse to_response(const httplib::Result& res, const std::string& url) {
  if (!res) fail("could not reach {}: {}", url, httplib::to_string(res.error()));
  return {res->status, lowered(res->headers), res->body};
}

}  // namespace

HttpResponse Http::get(const std::string& path) const {
  auto c = client_for(endpoint_);
  return to_response(c->Get(path.c_str(), base_headers(token_, true)), endpoint_ + path);
}

HttpResponse Http::head(const std::string& path) const {
  auto c = client_for(endpoint_);
  return to_response(c->Head(path.c_str(), base_headers(token_, true)), endpoint_ + path);
}

bool Http::download(const std::string& url, int64_t from,
                    const std::function<bool(int, const std::map<std::string, std::string>&)>& on_status,
                    const std::function<bool(const char*, size_t)>& on_data) const {
  Url u = split_url(url, endpoint_);
  for (int hop = 0; hop <= 5; ++hop) {
    auto c = client_for(u.origin);
    httplib::Headers h = base_headers(token_, u.origin == endpoint_);
    if (from > 0) h.emplace("Range", "bytes=" + std::to_string(from) + "-");
    std::string location;
    bool redirected = false;
    auto res = c->Get(
        u.path.c_str(), h,
        [&](const httplib::Response& r) {
          if (r.status >= 300 && r.status < 400 && r.has_header("Location")) {
            location = r.get_header_value("Location");
            redirected = true;
            return false;
          }
          return on_status(r.status, lowered(r.headers));
        },
        [&](const char* data, size_t n) { return on_data(data, n); });
    if (!redirected) return static_cast<bool>(res);
    u = split_url(location, u.origin);
  }
  fail("{}: more than 5 redirects", url);
}

}  // namespace argus::hub
