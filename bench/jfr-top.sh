#!/usr/bin/env bash
# Aggregates the execution samples of a JFR recording (e.g. from `JFR=1 bench/proxy-bench.sh`):
#   1. self time: samples by top frame (the method that was running);
#   2. by area: the top frame's package group (netty, vert.x, micrometer, jdk, tandem, ...);
#   3. inclusive: samples whose stack passes through each dev.tandem method (where Tandem's own code leads).
# JFR samples only threads running Java code: time in system calls (socket reads and writes, epoll) shows up
# as the JVM's system CPU time instead, not here.
#   bench/jfr-top.sh bench/results/latest/tandem.jfr [rows]
set -euo pipefail
FILE=${1:?usage: jfr-top.sh recording.jfr [rows]}
ROWS=${2:-30}
JFR_TOOL=${JFR_TOOL:-jfr}

"$JFR_TOOL" print --events jdk.ExecutionSample --stack-depth 96 "$FILE" | awk -v rows="$ROWS" '
  function group(f) {
    if (f ~ /^io\.netty\./) return "netty"
    if (f ~ /^io\.vertx\.core\.http\.impl\.headers\./) return "vert.x headers"
    if (f ~ /^io\.vertx\.core\.http\./) return "vert.x http"
    if (f ~ /^io\.vertx\./) return "vert.x other"
    if (f ~ /^io\.micrometer\./) return "micrometer"
    if (f ~ /^dev\.tandem\./) return "tandem"
    if (f ~ /^(java|jdk|sun)\./) return "jdk"
    return "other"
  }
  function strip(f) { sub(/[ \t]+line:.*$/, "", f); sub(/^[ \t]+/, "", f); return f }
  /stackTrace = \[/ { inStack = 1; depth = 0; delete seen; next }
  inStack && /^[ \t]*\]/ { inStack = 0; total++; next }
  inStack {
    f = strip($0)
    if (f == "..." || f == "") next
    depth++
    if (depth == 1) { self[f]++; area[group(f)]++ }
    m = f; sub(/\(.*$/, "", m)
    if (m ~ /^dev\.tandem\./ && !(m in seen)) { seen[m] = 1; incl[m]++ }
  }
  END {
    if (total == 0) { print "no execution samples"; exit 1 }
    printf "%d execution samples\n\nSelf (top frame)\n", total
    for (f in self) printf "%6.2f%%  %6d  %s\n", 100 * self[f] / total, self[f], f | "sort -rn | head -n " rows
    close("sort -rn | head -n " rows)
    printf "\nBy area of the top frame\n"
    for (a in area) printf "%6.2f%%  %6d  %s\n", 100 * area[a] / total, area[a], a | "sort -rn"
    close("sort -rn")
    printf "\nInclusive, dev.tandem methods on the stack\n"
    for (m in incl) printf "%6.2f%%  %6d  %s\n", 100 * incl[m] / total, incl[m], m | "sort -rn | head -n " rows
    close("sort -rn | head -n " rows)
  }'
