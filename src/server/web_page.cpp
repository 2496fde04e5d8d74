#include "server/web_page.h"

namespace argus::server {

const char* const kWebPage = R"HTML(<!doctype html>
<html><head><meta charset="utf-8"><title>argus</title></head>
<body><h1>argus</h1><p>The API is under /v1.</p></body></html>
)HTML";

}  // namespace argus::server
