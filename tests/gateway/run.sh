#!/usr/bin/env bash
# The gateway suite, as CI runs it: build (or take) the subgraph binary, install the pinned Node
# packages with `npm ci`, and run every test file with Node's built-in test runner. Exits
# non-zero on any failure.
#
#   bash tests/gateway/run.sh                         # PostgreSQL on 127.0.0.1:5432 if reachable, else SQLite
#   GATEWAY_TEST_DB=sqlite bash tests/gateway/run.sh  # force SQLite (or =postgres to require PostgreSQL)
#   METADATA_SYNERGY_BIN=/path/to/metadata-synergy bash tests/gateway/run.sh   # skip cargo build
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "run.sh: Node.js >= 20 is required (found $(node --version))" >&2
  exit 1
fi

if [[ -z "${METADATA_SYNERGY_BIN:-}" ]]; then
  echo "run.sh: cargo build --bin metadata-synergy" >&2
  # The JSON messages name the built executable wherever the target directory is.
  METADATA_SYNERGY_BIN="$(
    cd "$root" &&
      cargo build --bin metadata-synergy --message-format=json-render-diagnostics |
      node -e '
        let out = "";
        process.stdin.on("data", (d) => (out += d)).on("end", () => {
          const exe = out.split("\n").filter(Boolean).map((l) => JSON.parse(l))
            .filter((m) => m.reason === "compiler-artifact" && m.target?.name === "metadata-synergy" && m.executable)
            .map((m) => m.executable).pop();
          if (!exe) process.exit(1);
          console.log(exe);
        });'
  )"
fi
# Relative paths are taken from the directory run.sh was called from.
METADATA_SYNERGY_BIN="$(realpath -m -- "$METADATA_SYNERGY_BIN")"
if [[ ! -x "$METADATA_SYNERGY_BIN" ]]; then
  echo "run.sh: no executable subgraph binary at '$METADATA_SYNERGY_BIN'" >&2
  exit 1
fi
export METADATA_SYNERGY_BIN
echo "run.sh: subgraph binary $METADATA_SYNERGY_BIN" >&2

cd "$here"
npm ci --no-audit --no-fund

# The spec reporter prints every test and the closing summary (tests / pass / fail / duration).
# A hung test (e.g. a server that never stops) must not hold CI: 10 minutes at most.
timeout --kill-after=10 600 node --test --test-reporter=spec --test-timeout=120000 test/*.test.js
