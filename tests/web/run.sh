#!/usr/bin/env bash
# End-to-end tests of `argus serve` and `argus mcp`: starts the server on a free port with the fixture
# models, installs the npm test dependencies, runs the OpenAI SDK, web page and MCP SDK tests,
# and always stops the server.
#
#   tests/web/run.sh [node --test args...]
#
# Environment:
#   ARGUS_SHARED   the shared dir (fixtures/, assets/), default ../shared from the repo root
#   ARGUS_BIN      the argus binary, default build/argus
#   ARGUS_API_KEY  if set, the server requires it and the tests send it
#   CHROMIUM       the browser for page.test.mjs, default /usr/bin/chromium
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=$(cd "$root" && cd "${ARGUS_SHARED:-../shared}" && pwd)
argus=${ARGUS_BIN:-$root/build/argus}
fixtures=$shared/fixtures

[[ -x $argus ]] || { echo "run.sh: no argus binary at $argus (build it, or set ARGUS_BIN)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node is not installed" >&2; exit 1; }

mkdir -p "$here/out"
log=$here/out/server.log
# The LLaVA fixture again with a tool-calling chat template, for openai_tools.test.mjs.
tooled=$here/out/tooled
rm -rf "$tooled" && mkdir -p "$tooled"
for f in "$fixtures/llava"/*; do [[ $(basename "$f") == tokenizer_config.json ]] || ln -s "$f" "$tooled/"; done
node -e '
  const fs = require("fs");
  const [config, template, out] = process.argv.slice(1);
  const c = JSON.parse(fs.readFileSync(config, "utf8"));
  c.chat_template = fs.readFileSync(template, "utf8");
  fs.writeFileSync(out, JSON.stringify(c));' \
  "$fixtures/llava/tokenizer_config.json" "$root/tests/data/chat_templates/chatml-tools-multimodal.jinja" \
  "$tooled/tokenizer_config.json"
args=(serve --port 0 --image-root "$shared/assets/images"
      --model "llava=$fixtures/llava" --model "clip=$fixtures/clip"
      --model "owlvit=$fixtures/owlvit" --model "sam=$fixtures/sam" --model "tooled=$tooled")
[[ -n ${ARGUS_API_KEY:-} ]] && args+=(--api-key "$ARGUS_API_KEY")

"$argus" "${args[@]}" >"$log" 2>&1 &
server=$!
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# "argus: serving N model(s) on http://127.0.0.1:PORT/"
port=
for _ in $(seq 1 600); do
  port=$(sed -n 's|^argus: serving .* on http://[^/]*:\([0-9][0-9]*\)/.*|\1|p' "$log" | head -n 1)
  [[ -n $port ]] && break
  kill -0 "$server" 2>/dev/null || { echo "run.sh: the server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "run.sh: the server did not report its port:" >&2; cat "$log" >&2; exit 1; }
base=http://127.0.0.1:$port

# /health answers once the server accepts connections.
node -e '
  const url = process.argv[1] + "/health", until = Date.now() + 30000;
  (async () => {
    for (;;) {
      try { const r = await fetch(url); if (r.ok) return; } catch (e) {}
      if (Date.now() > until) { console.error("run.sh: " + url + " did not answer"); process.exit(1); }
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();' "$base"
echo "run.sh: argus is serving on $base (log: $log)"

cd "$here"
# Only the committed lockfile: npm ci (which installs exactly it) unless node_modules
# already holds exactly it, nothing more, nothing else.
if ! /usr/bin/python3 "$root/scripts/check-deps.py" npm "$here" 2>/dev/null; then
  npm ci --no-audit --no-fund
fi

status=0
ARGUS_URL=$base/v1 ARGUS_SHARED=$shared ARGUS_MODELS=llava,clip,owlvit,sam,tooled \
  node --test --test-concurrency=1 "$@" openai_client.test.mjs openai_tools.test.mjs page.test.mjs \
  mcp_client.test.mjs || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: tests failed; the last lines of the server log:" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
