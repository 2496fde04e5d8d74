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

std::string inflate_gzip(const unsigned char* data, size_t size, const std::string& what, size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) fail("{}: zlib init failed", what);  // 16: gzip header
  z.next_in = const_cast<unsigned char*>(data);
  z.avail_in = static_cast<uInt>(size);
  std::string out;
  unsigned char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = buf;
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      fail("{}: corrupt gzip data ({})", what, z.msg ? z.msg : "truncated");
    }
    out.append(reinterpret_cast<char*>(buf), sizeof(buf) - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      fail("{}: inflates to more than {} bytes", what, max_bytes);
    }
  }
  inflateEnd(&z);
  return out;
}

}  // namespace argus::text
