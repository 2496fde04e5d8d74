// `argus mcp`: the agent's tools as a Model Context Protocol server on stdio.
#include <csignal>
#include <cstdio>

#include <unistd.h>

#include "cli/commands.h"
#include "cli/expert_args.h"
#include "mcp/stdio_transport.h"
#include "tasks/agent/mcp_tools.h"

namespace argus::cli {

void add_mcp(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "mcp",
      "Serve argus's vision experts (detect, segment, classify, ...) as Model Context Protocol tools on stdio.\n"
      "Images enter with load_image (base64 data, or a path under --image-root) and are named by ids.");
  auto f = std::make_shared<ExpertFlags>();
  add_expert_flags(cmd, *f, true);
  cmd->callback([f] {
    tasks::agent::Experts experts(expert_paths(*f));
    tasks::agent::McpTools tools(tasks::agent::offered_tools(experts, f->tools), experts);
    mcp::McpSession session(tools, "argus", "1.0",
                            "Call load_image first: it returns an image id (image_1, ...) that the other tools take. "
                            "Boxes are [x0, y0, x1, y1] in pixels.");
    // stdout carries the protocol only: anything else that would print there (a
    // library's message) goes to stderr instead.
    std::fflush(stdout);
    const int protocol_out = ::dup(STDOUT_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    // A client that goes away mid-answer is an ended session, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    std::fprintf(stderr, "argus mcp: %zu tools, on stdio\n", tools.list_tools().size());
    const int rc = mcp::serve_stdio(session, STDIN_FILENO, protocol_out);
    ::close(protocol_out);
    if (rc != 0) std::fprintf(stderr, "argus mcp: the client closed the connection\n");
  });
}

}  // namespace argus::cli
