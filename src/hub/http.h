// The hub's HTTP requests. This file pair is the only one in src/hub that includes
// cpp-httplib (its header is large and carries TLS defines every includer must share).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace argus::hub {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
};

class Http {
 public:
  // `endpoint` is scheme://host[:port] (HF_ENDPOINT); `token` goes only to that origin,
  // never to the CDN a redirect points at (signed URLs reject foreign credentials).
  Http(std::string endpoint, std::string token);
  const std::string& endpoint() const { return endpoint_; }

  // GET or HEAD of a path on the endpoint, not following redirects; a connection
  // failure is an argus::Error naming the URL.
  HttpResponse get(const std::string& path) const;
  HttpResponse head(const std::string& path) const;

  // Streams the body at `url` (a path on the endpoint or an absolute URL) from byte
  // `from` on, following up to 5 redirects. `on_status` sees the final status and
  // headers and may stop the transfer by returning false; `on_data` returns false to stop.
  // Returns false when the connection broke or a callback stopped it.
  bool download(const std::string& url, int64_t from,
                const std::function<bool(int status, const std::map<std::string, std::string>& headers)>& on_status,
                const std::function<bool(const char* data, size_t n)>& on_data) const;

 private:
  std::string endpoint_, token_;
};

}  // namespace argus::hub
