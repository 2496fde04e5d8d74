// The single-page web UI served at "/" (HTML, CSS and JS in one string, no CDN).
#pragma once

namespace argus::server {

extern const char* const kWebPage;

}  // namespace argus::server
