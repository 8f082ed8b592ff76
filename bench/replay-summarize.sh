#!/usr/bin/env bash
# Summarizes a results directory of bench/replay-bench.sh: throughput medians and paired replay/wrk ratios, the
# concurrency sweep, send lag (replay's own figure and the target's), memory over time, and the DESIGN.md targets.
#   bench/replay-summarize.sh bench/results/latest-replay
set -euo pipefail
DIR=${1:?usage: replay-summarize.sh RESULTS_DIR}
RUNS=$DIR/runs.tsv
LAG=$DIR/lag.tsv
MEM=$DIR/memory.tsv
TARGET_RPS=${TARGET_RPS:-10000}
TARGET_LAG_MS=${TARGET_LAG_MS:-5}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "[%s..%s]", lo, hi }'; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { if (v == "nan" || v == "") print "–"; else printf "%.*f", d, v }'; }
medf() { fmt "$(median)" "${1:-0}"; }   # median of stdin, formatted with $1 decimals
# Values of one column (by header name) for the rows matching part/variant/conns.
tp_col() { # part variant conns column
  awk -F'\t' -v p="$1" -v v="$2" -v c="$3" -v col="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $1 == p && $3 == v && $4 == c { print $h[col] }' "$RUNS"
}

if [ -s "$RUNS" ] && [ "$(wc -l < "$RUNS")" -gt 1 ]; then
  conns=$(awk -F'\t' 'NR > 1 && $1 == "throughput" { print $4; exit }' "$RUNS")
  if [ -n "$conns" ]; then
    reps=$(awk -F'\t' 'NR > 1 && $1 == "throughput" { print $2 }' "$RUNS" | sort -u | wc -l)
    echo "== Throughput: $conns connections, medians of $reps repetitions =="
    printf '%-11s %9s %10s %8s %11s %11s %9s %8s %8s %10s\n' variant req/s "req/s¹" wall_s "client µs/r" "client CPU%" \
      "nginx%" "p50 ms" "p99 ms" "GC ms"
    for v in replay replay-ap1 replay-jsonl wrk; do
      [ -n "$(tp_col throughput "$v" "$conns" rps)" ] || continue
      incl=$(awk -F'\t' -v v="$v" -v c="$conns" 'NR > 1 && $1 == "throughput" && $3 == v && $4 == c { print (v == "wrk" ? $7 : $5 / $8) }' "$RUNS" | median)
      printf '%-11s %9s %10s %8s %11s %11s %9s %8s %8s %10s\n' "$v" "$(tp_col throughput "$v" "$conns" rps | medf)" \
        "$(fmt "$incl")" "$(tp_col throughput "$v" "$conns" wall_s | medf 1)" \
        "$(tp_col throughput "$v" "$conns" client_cpu_us_per_req | medf 1)" \
        "$(tp_col throughput "$v" "$conns" client_cpu_pct | median)" "$(tp_col throughput "$v" "$conns" nginx_cpu_pct | median)" \
        "$(tp_col throughput "$v" "$conns" p50_ms | median)" "$(tp_col throughput "$v" "$conns" p99_ms | median)" \
        "$(tp_col throughput "$v" "$conns" gc_pause_ms | median)"
    done
    echo "¹ requests / wall time of the whole process (JVM start, the check pass over the file, sending); for wrk the same as req/s"
    [ -f "$DIR/raw/dry-run.txt" ] && awk '/^dry-run wall/ { printf "JVM start + the check pass alone (--dry-run on the same file): %.1f s wall, %.1f s CPU\n", $4, $5 + $6 }' "$DIR/raw/dry-run.txt"
    echo
    echo "Paired ratios (within each repetition), median [min..max]:"
    pair() { # variant-a variant-b column-a column-b
      awk -F'\t' -v a="$1" -v b="$2" -v c="$conns" -v ca="$3" -v cb="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        $1 == "throughput" && $4 == c && $3 == a { x[$2] = (ca == "incl" ? $5 / $8 : $h[ca]) }
        $1 == "throughput" && $4 == c && $3 == b { y[$2] = (cb == "incl" ? $5 / $8 : $h[cb]) }
        END { for (r in x) if (r in y && y[r] > 0) printf "%.3f\n", x[r] / y[r] }' "$RUNS"
    }
    for pr in "replay wrk rps rps" "replay wrk incl rps" "replay-ap1 wrk rps rps" "replay-jsonl wrk rps rps" \
      "replay-ap1 replay rps rps" "replay-jsonl replay rps rps"; do
      read -r a b ca cb <<<"$pr"
      vals=$(pair "$a" "$b" "$ca" "$cb")
      [ -n "$vals" ] || continue
      label="$a/$b req/s"; [ "$ca" = incl ] && label="$a (whole process¹)/$b req/s"
      printf '  %-40s %s %s\n' "$label" "$(medf 3 <<<"$vals")" "$(range <<<"$vals")"
    done
    rps=$(tp_col throughput replay "$conns" rps | median)
    incl=$(awk -F'\t' -v c="$conns" 'NR > 1 && $1 == "throughput" && $3 == "replay" && $4 == c { print $5 / $8 }' "$RUNS" | median)
    echo
    awk -v r="$rps" -v i="$incl" -v t="$TARGET_RPS" 'BEGIN { printf "Target: at least %d req/s from a file: replay %.0f req/s (whole process %.0f): %s\n",
      t, r, i, (r >= t ? (i >= t ? "met" : "met while sending, not counting start-up") : "NOT met") }'
    echo
  fi
  if awk -F'\t' 'NR > 1 && $1 == "sweep" { f = 1 } END { exit !f }' "$RUNS"; then
    echo "== Concurrency sweep (one run each) =="
    printf '%6s %12s %10s %8s %14s %11s %16s\n' conns "replay req/s" "wrk req/s" ratio "replay p99 ms" "wrk p99 ms" "replay client µs/r"
    for c in $( (awk -F'\t' 'NR > 1 && $1 == "sweep" { print $4 }' "$RUNS"; echo "${conns:-}") | grep . | sort -un); do
      part=sweep; note=""
      if [ -z "$(tp_col sweep replay "$c" rps)" ]; then part=throughput; note="  (median of the throughput part)"; fi
      r=$(tp_col $part replay "$c" rps | median); w=$(tp_col $part wrk "$c" rps | median)
      printf '%6s %12s %10s %8s %14s %11s %16s%s\n' "$c" "$r" "$w" "$(awk -v r="$r" -v w="$w" 'BEGIN { printf "%.3f", (w > 0 ? r / w : 0) }')" \
        "$(tp_col $part replay "$c" p99_ms | median)" "$(tp_col $part wrk "$c" p99_ms | median)" \
        "$(tp_col $part replay "$c" client_cpu_us_per_req | median)" "$note"
    done
    echo
  fi
fi

if [ -s "$LAG" ] && [ "$(wc -l < "$LAG")" -gt 1 ]; then
  skip=$(grep -o 'LAG_SKIP=[0-9]*' "$DIR/machine.txt" 2>/dev/null | cut -d= -f2 || true)
  echo "== Send lag (ms): median [min..max] over the repetitions =="
  lag_col() { awk -F'\t' -v k="$1" -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $2 == k { print $h[col] }' "$LAG"; }
  mr() { local v; v=$(lag_col "$1" "$2"); printf '%s %s' "$(median <<<"$v")" "$(range <<<"$v")"; }
  for k in $(awk -F'\t' 'NR > 1 { print $2 }' "$LAG" | awk '!s[$0]++'); do
    echo "$k ($(lag_col "$k" pacing | head -n1); $(lag_col "$k" requests | head -n1) requests; sent at $(mr "$k" rps) req/s; GC pauses $(mr "$k" gc_pause_ms) ms in all):"
    echo "  replay's own figure:        p50 $(mr "$k" lag_p50_ms)   p99 $(mr "$k" lag_p99_ms)   max $(mr "$k" lag_max_ms)"
    echo "  at the target (access log): p50 $(mr "$k" target_p50_ms)   p99 $(mr "$k" target_p99_ms)   max $(mr "$k" target_max_ms)"
    echo "  at the target, after the first ${skip:-?} s: p50 $(mr "$k" target_p50_after_ms)   p99 $(mr "$k" target_p99_after_ms)   max $(mr "$k" target_max_after_ms)"
  done
  echo
  for k in $(awk -F'\t' 'NR > 1 { print $2 }' "$LAG" | awk '!s[$0]++'); do
    p=$(lag_col "$k" lag_p99_ms | median); q=$(lag_col "$k" target_p99_after_ms | median)
    awk -v k="$k" -v p="$p" -v q="$q" -v t="$TARGET_LAG_MS" -v skip="${skip:-?}" 'BEGIN { printf "Target: p99 send lag under %d ms, %s: replay reports p99 %.2f ms: %s (at the target after the first %s s: p99 %s ms: %s)\n",
      t, k, p, (p < t ? "met" : "NOT met"), skip, q, (q < t ? "met" : "not met") }'
  done
  echo
fi

# Runs kept although other processes disturbed them (after the retries ran out).
for f in "$RUNS" "$LAG"; do
  [ -s "$f" ] || continue
  awk -F'\t' -v f="$(basename "$f")" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    { n++; if ($h["foreign_cpu_pct"] > 10) { d++; list = list sprintf(" %s(%s%%)", (f == "lag.tsv" ? "rep" $1 "/" $2 : $1 "/rep" $2 "/" $3 "/c" $4), $h["foreign_cpu_pct"]) } }
    END { if (n) printf "%s: %d of %d runs kept with foreign CPU > 10%%%s\n", f, d, n, (d ? ":" list : "") }' "$f"
done
echo

if [ -s "$MEM" ] && [ "$(wc -l < "$MEM")" -gt 1 ]; then
  echo "== Memory: replay against a slow target, VmRSS (MB) every second =="
  for c in $(awk -F'\t' 'NR > 1 { print $1 }' "$MEM" | awk '!s[$0]++'); do
    awk -F'\t' -v c="$c" '$1 == c { n++; rss[n] = $3; if ($3 > m) m = $3; hwm = $4; a = $6; if ($5 > 0 && !first) first = $2 }
      END { printf "%s: max RSS %d MB, VmHWM %d MB, %d s sampled, first connection to the target at %s s, %d requests answered\n  RSS at",
              c, m, hwm, n, (first ? first : "–"), a
            for (i = 1; i <= n; i++) if (i <= 3 || i % 5 == 0 || i == n) printf " %ds:%d", i, rss[i]; print "" }' "$MEM"
    h="$DIR/raw/memory-$c.histogram.txt"
    if [ -f "$h" ]; then
      echo "  heap after a full GC at the end: $(awk '/^Total/ { printf "%.0f MB in %d objects", $3 / 1048576, $2 }' "$h");" \
        "$(awk '$4 ~ /dev\.tandem\.replay\.CapturedExchange$/ { printf "%d CapturedExchange", $2 }' "$h")"
    fi
  done
fi
