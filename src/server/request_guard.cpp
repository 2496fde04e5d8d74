#include "server/request_guard.h"

#include <algorithm>
#include <cctype>

namespace argus::server {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool listed(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool origin_allowed(const OriginPolicy& p, const std::string& origin) {
  return listed(p.allow_origins, "*") || listed(p.allow_origins, origin);
}

}  // namespace

std::string host_name(const std::string& host_header) {
  std::string h = lower(host_header);
  if (!h.empty() && h[0] == '[') {
    const size_t close = h.find(']');
    return close == std::string::npos ? h : h.substr(0, close + 1);
  }
  const size_t colon = h.find(':');
  return colon == std::string::npos ? h : h.substr(0, colon);
}

bool is_loopback_name(const std::string& name) {
  if (name == "localhost" || name == "[::1]" || name == "::1") return true;
  if (name.size() > 10 && name.compare(name.size() - 10, 10, ".localhost") == 0) return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (name.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return dots == 3;
}

std::optional<Refusal> check_origin(const OriginPolicy& p, const std::string& host, const std::string& origin) {
  const std::string name = host_name(host);
  if (is_loopback_name(lower(p.bind_host)) && !host.empty() && !is_loopback_name(name) &&
      !listed(p.allow_hosts, name))
    return Refusal{403, "this server listens on loopback and does not answer the Host name \"" + name +
                            "\" (a DNS name rebound to 127.0.0.1?); allow it with --allow-host " + name};
  // Browsers send Origin on cross-site requests (and on same-site POSTs); other clients
  // send none. "null" (sandboxed frames, file:// pages) is never the server's own.
  if (origin.empty()) return std::nullopt;
  const std::string o = lower(origin);
  if (!host.empty() && (o == "http://" + lower(host) || o == "https://" + lower(host))) return std::nullopt;
  if (origin_allowed(p, origin)) return std::nullopt;
  return Refusal{403, "cross-origin requests from " + origin +
                          " are refused; allow that origin with --allow-origin " + origin};
}

std::optional<Refusal> check_framing(const std::vector<std::string>& content_lengths,
                                     const std::vector<std::string>& transfer_encodings) {
  if (content_lengths.size() > 1) return Refusal{400, "more than one Content-Length header"};
  if (transfer_encodings.size() > 1) return Refusal{400, "more than one Transfer-Encoding header"};
  if (!content_lengths.empty() && !transfer_encodings.empty())
    return Refusal{400, "Content-Length together with Transfer-Encoding (ambiguous framing)"};
  if (!content_lengths.empty()) {
    const std::string& v = content_lengths[0];
    if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
      return Refusal{400, "Content-Length is not a decimal number of bytes"};
  }
  // Codings other than chunked (gzip, ...) are not supported, and "chunked" must be the
  // whole value: a list or a look-alike would be framed differently by someone.
  if (!transfer_encodings.empty() && lower(transfer_encodings[0]) != "chunked")
    return Refusal{400, "Transfer-Encoding other than \"chunked\" is not supported"};
  return std::nullopt;
}

std::string cors_allow_origin(const OriginPolicy& p, const std::string& origin) {
  return !origin.empty() && origin_allowed(p, origin) ? origin : "";
}

}  // namespace argus::server
