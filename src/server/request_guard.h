// Which browsers and names may talk to the server. A keyless server on loopback (the
// default) is reachable by every web page the user visits: a page can POST to it
// (a "simple" cross-site request needs no preflight), and a DNS name rebound to
// 127.0.0.1 makes the page same-origin. So requests are refused when their Origin
// is not the server's own (unless --allow-origin lets it in), and a loopback server
// answers only Host names that are loopback (unless --allow-host names them).
// Plain strings in and out: no HTTP library types, so it is unit-tested and fuzzed.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace argus::server {

struct OriginPolicy {
  std::string bind_host;                  // what the server listens on
  std::vector<std::string> allow_origins;  // exact origins ("http://host:port"), or "*"
  std::vector<std::string> allow_hosts;    // extra Host names (no port) a loopback server answers
};

struct Refusal {
  int status;
  std::string message;
};

// host and origin are the request's headers ("" when absent).
std::optional<Refusal> check_origin(const OriginPolicy& policy, const std::string& host, const std::string& origin);

// The Access-Control-Allow-Origin value for a request from `origin`: the origin
// itself when --allow-origin lets it in, else "" (no CORS header).
std::string cors_allow_origin(const OriginPolicy& policy, const std::string& origin);

// Request smuggling: behind a proxy that frames a body one way while argus frames it
// another, the remainder becomes a second request the proxy never saw. So the framing
// must be unambiguous: at most one Content-Length (digits only), at most one
// Transfer-Encoding and then exactly "chunked", never both. The arguments are every
// value of each header the request carries (in order).
std::optional<Refusal> check_framing(const std::vector<std::string>& content_lengths,
                                     const std::vector<std::string>& transfer_encodings);

// "name" of a Host header "name:port" / "[v6]:port" (lower-cased).
std::string host_name(const std::string& host_header);
bool is_loopback_name(const std::string& name);

}  // namespace argus::server
