// `argus chat`: an interactive conversation on stdin/stdout (a terminal or a pipe).
// Lines are user turns; /image PATH, /reset, /save FILE and /quit are commands.
// Ctrl-C during an answer ends that answer; at the prompt it ends the program.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "cli/chat_args.h"
#include "cli/commands.h"
#include "util/error.h"

namespace argus::cli {

namespace {

volatile sig_atomic_t g_generating = 0;
volatile sig_atomic_t g_interrupted = 0;

void on_sigint(int) {
  if (g_generating) {
    g_interrupted = 1;
    return;
  }
  // Idle at the prompt: behave as if there were no handler (terminate with SIGINT).
  signal(SIGINT, SIG_DFL);
  raise(SIGINT);
}

void install_sigint_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // a Ctrl-C mid-answer must not break the next stdin read
  sigaction(SIGINT, &sa, nullptr);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Runs one chat command or turn; returns false on /quit.
bool handle_line(tasks::ChatSession& session, const std::string& line) {
  auto arg = [&](size_t n) { return trim(line.substr(n)); };
  if (line == "/quit" || line == "/exit") return false;
  if (line == "/reset") {
    session.reset();
    std::fprintf(stderr, "(history cleared)\n");
  } else if (line.rfind("/image", 0) == 0 && (line.size() == 6 || line[6] == ' ')) {
    if (arg(6).empty()) fail("/image needs a path");
    session.add_image(arg(6));
    std::fprintf(stderr, "(image %s attached to the next message)\n", arg(6).c_str());
  } else if (line.rfind("/save", 0) == 0 && (line.size() == 5 || line[5] == ' ')) {
    if (arg(5).empty()) fail("/save needs a file name");
    session.save(arg(5));
    std::fprintf(stderr, "(saved %zu messages to %s)\n", session.messages().size(), arg(5).c_str());
  } else if (line[0] == '/') {
    fail("unknown command {} (commands: /image PATH, /reset, /save FILE, /quit)", line.substr(0, line.find(' ')));
  } else {
    g_interrupted = 0;
    g_generating = 1;
    tasks::ChatReply r;
    try {
      r = session.ask(line, [](const std::string& piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }, [] { return g_interrupted != 0; });
    } catch (...) {
      g_generating = 0;
      throw;
    }
    g_generating = 0;
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (r.finish_reason == "interrupted") std::fprintf(stderr, "(interrupted)\n");
  }
  return true;
}

// One line of stdin, without its newline; false at the end of input. A line is bounded
// (a prompt of a megabyte is far past any context): stdin from /dev/zero or a runaway
// pipe ends with an error instead of growing one string without end.
constexpr size_t kMaxLineBytes = 1u << 20;

bool read_line(std::istream& in, std::string& line) {
  line.clear();
  for (int c; (c = in.get()) != std::char_traits<char>::eof();) {
    if (c == '\n') return true;
    if (line.size() >= kMaxLineBytes) fail("a line of input is longer than {} bytes", kMaxLineBytes);
    line.push_back(static_cast<char>(c));
  }
  return !line.empty();
}

}  // namespace

void add_chat(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat", "Interactive chat on stdin (/image PATH, /reset, /save FILE, /quit)");
  auto o = std::make_shared<ChatArgs>();
  add_chat_flags(cmd, *o, "image for the first message (repeatable)");
  cmd->callback([o] {
    auto c = open_chat(*o, "chat");
    auto& session = *c.session;
    install_sigint_handler();
    bool tty = isatty(STDIN_FILENO);
    std::string line;
    while (true) {
      if (tty) std::fprintf(stderr, ">>> "), std::fflush(stderr);
      if (!read_line(std::cin, line)) break;
      line = trim(line);
      if (line.empty()) continue;
      try {
        if (!handle_line(session, line)) break;
      } catch (const Error& e) {
        // A bad path or an over-long prompt ends that turn, not the conversation.
        std::fprintf(stderr, "argus: error: %s\n", e.what());
      }
    }
  });
}

}  // namespace argus::cli
