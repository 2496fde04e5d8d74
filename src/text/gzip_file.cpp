#include "text/gzip_file.h"

#include <cerrno>
#include <cstring>

#include <zlib.h>

#include "util/error.h"

namespace argus::text {

std::string read_gzip_file(const std::string& path, size_t max_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail("cannot open {}: {}", path, std::strerror(errno ? errno : ENOENT));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof(buf));
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      fail("{}: corrupt gzip data ({})", path, msg);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      gzclose(f);
      fail("{}: inflates to more than {} bytes", path, max_bytes);
    }
  }
  gzclose(f);
  return out;
}

}  // namespace argus::text
