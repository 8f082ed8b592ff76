#!/usr/bin/env bash
# What the edge's strict checks cost: this build's Tandem against one built from BASE_REF (before the edge rules),
# side by side in one run of bench/proxy-bench.sh, both pinned to the proxy core, paired per repetition. The
# default base predates the Netty data plane too: on today's build it measures that path as well, so the checks'
# cost is read from EdgeCost (bench/README.md, "The edge's checks").
#
#   bench/edge-bench.sh                        # BASE_REF defaults to the commit before the edge rules
#   BASE_REF=v0.1 REPS=7 bench/edge-bench.sh
#
# The base jar is built in a temporary git worktree (removed on exit); the results are in bench/results/<stamp>-edge.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BASE_REF=${BASE_REF:-4639491}
JAR=${TANDEM_JAR:-$ROOT/proxy/target/tandem.jar}
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -DskipTests package)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tandem-edge-base.XXXXXX")
cleanup() { git -C "$ROOT" worktree remove --force "$WORK/src" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
git -C "$ROOT" worktree add --detach "$WORK/src" "$BASE_REF" >/dev/null
(cd "$WORK/src" && mvn -B -q -o -DskipTests package 2>/dev/null || mvn -B -q -DskipTests package)
cp "$WORK/src/proxy/target/tandem.jar" "$WORK/tandem-base.jar"

TAG=${TAG:-edge} TARGETS=${TARGETS:-"tandem tandem-base"} BASE_JAR="$WORK/tandem-base.jar" TANDEM_JAR="$JAR" \
  "$HERE/proxy-bench.sh"
