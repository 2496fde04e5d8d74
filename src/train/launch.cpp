#include "train/launch.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "util/error.h"

namespace argus::train {
namespace {

// A port the kernel considers free right now, for the rendezvous store.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("cannot open a socket to pick a rendezvous port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    fail("cannot pick a rendezvous port");
  }
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

}  // namespace

bool launched_as_worker() { return std::getenv("WORLD_SIZE") != nullptr; }

int launch_local(int nproc, const std::vector<std::string>& args) {
  if (nproc < 1 || nproc > 256) fail("--nproc {} must be between 1 and 256", nproc);
  std::string port = std::to_string(free_port());
  std::map<pid_t, int> workers;
  for (int rank = 0; rank < nproc; ++rank) {
    pid_t pid = ::fork();
    if (pid < 0) fail("fork failed starting worker {}", rank);
    if (pid == 0) {
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      if (!std::getenv("ARGUS_THREADS"))  // share the cores instead of oversubscribing them
        ::setenv("ARGUS_THREADS", std::to_string(std::max(1u, std::thread::hardware_concurrency() / nproc)).c_str(), 1);
      std::vector<char*> argv;
      std::string self = "/proc/self/exe";
      argv.push_back(self.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(self.c_str(), argv.data());
      ::_exit(127);
    }
    workers[pid] = rank;
  }
  int first_failure = 0;
  while (!workers.empty()) {
    int status = 0;
    pid_t pid = ::wait(&status);
    if (pid < 0) break;
    workers.erase(pid);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (code != 0 && first_failure == 0) {
      first_failure = code;
      for (auto& [other, rank] : workers) ::kill(other, SIGTERM);  // the rest would wait forever
    }
  }
  return first_failure;
}

}  // namespace argus::train
