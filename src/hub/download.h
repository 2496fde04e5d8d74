// Puts one file's bytes into the cache as blobs/<etag>: resumed from blobs/<etag>.incomplete
// with a Range request, checked (size always, the SHA-256 or git SHA-1 the ETag names)
// and only then renamed into place, so a blob that exists is always complete. A lock
// file per blob (flock) makes concurrent pulls of the same model wait for each other.
#pragma once
#include <cstdint>
#include <string>

#include "hub/cache.h"
#include "hub/http.h"

namespace argus::hub {

struct RemoteFile {
  std::string name;  // path in the repository
  std::string etag;  // quotes and W/ stripped
  int64_t size = 0;
  std::string url;   // where the bytes are: the resolve path, or the CDN URL it redirects to
};

// Ensures cache.blob(file.etag) holds the file (nothing to do when it already does).
void fetch_blob(const Http& http, const RepoCache& cache, const RemoteFile& file, bool progress);

}  // namespace argus::hub
