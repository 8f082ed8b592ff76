#!/usr/bin/env bash
# Summarizes runs.tsv from bench/proxy-bench.sh: medians per target and method, and ratios from paired runs
# (the targets measured in the same repetition), medians over the repetitions.
#   bench/summarize.sh bench/results/latest/runs.tsv
set -euo pipefail
RUNS=${1:?usage: summarize.sh runs.tsv}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { # method target column-name -> values
  awk -F'\t' -v m="$1" -v t="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $2 == m && $3 == t { print $idx[c] }' "$RUNS"
}
# method a b column op -> per-repetition a/b (op=ratio) or a-b (op=diff)
paired() {
  awk -F'\t' -v m="$1" -v a="$2" -v b="$3" -v c="$4" -v op="$5" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $2 == m { v[$1, $3] = $idx[c]; reps[$1] = 1 }
    END { for (r in reps) if (((r, a) in v) && ((r, b) in v)) print (op == "ratio" ? v[r, a] / v[r, b] : v[r, a] - v[r, b]) }' "$RUNS"
}
methods=$(awk -F'\t' 'NR > 1 && !s[$2]++ { print $2 }' "$RUNS")
targets=$(awk -F'\t' 'NR > 1 && !s[$3]++ { print $3 }' "$RUNS")
reps=$(awk -F'\t' 'NR > 1 && !s[$1]++' "$RUNS" | wc -l)
has() { grep -qx "$1" <<<"$targets"; }

echo "Medians over $reps repetitions (latency in ms; CPU = the proxy process on its core, for direct the backend)"
printf '%-6s %-11s %10s %8s %8s %8s %10s %7s\n' method target "req/s" p50 p99 "CPU %" "CPU us/req" errors
for m in $methods; do
  for t in direct nginx haproxy caddy netty-floor tandem tandem-base; do
    has "$t" || continue
    printf '%-6s %-11s %10.0f %8.2f %8.2f %8.0f %10.1f %7d\n' "$m" "$t" \
      "$(col "$m" "$t" rps | median)" \
      "$(awk -v x="$(col "$m" "$t" p50_us | median)" 'BEGIN { print x / 1000 }')" \
      "$(awk -v x="$(col "$m" "$t" p99_us | median)" 'BEGIN { print x / 1000 }')" \
      "$(col "$m" "$t" proxy_cpu_pct | median)" "$(col "$m" "$t" proxy_cpu_us_per_req | median)" \
      "$(col "$m" "$t" errors | awk '{ s += $1 } END { print s + 0 }')"
  done
done
echo
echo "Paired ratios (same repetition), median over repetitions [min..max]"
printf '%-6s %-26s %-26s %-26s %-22s %s\n' method "tandem/nginx req/s" "tandem/direct req/s" "nginx/direct req/s" \
  "tandem-nginx p99 (ms)" "target: >=0.80 and <=+1ms"
spread() { sort -g | awk -v s="$1" '{ v[NR] = $1 * s } END { if (NR == 0) { print "n/a"; exit }
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f [%.2f..%.2f]", m, v[1], v[NR] }'; }
for m in $methods; do
  tn=n/a; td=n/a; nd=n/a; dp=n/a; verdict=n/a
  if has tandem && has nginx; then
    tn=$(paired "$m" tandem nginx rps ratio | spread 1)
    dp=$(paired "$m" tandem nginx p99_us diff | spread 0.001)
    verdict=$(awk -v r="${tn%% *}" -v d="${dp%% *}" 'BEGIN { print (r >= 0.8 && d <= 1.0) ? "MET" : "NOT MET" }')
  fi
  has tandem && has direct && td=$(paired "$m" tandem direct rps ratio | spread 1)
  has nginx && has direct && nd=$(paired "$m" nginx direct rps ratio | spread 1)
  printf '%-6s %-26s %-26s %-26s %-22s %s\n' "$m" "$tn" "$td" "$nd" "$dp" "$verdict"
done
if has tandem && { has haproxy || has caddy || has netty-floor; }; then
  echo
  echo "Tandem against each peer, paired, median over repetitions [min..max]"
  printf '%-6s %-8s %-26s %-26s %-26s\n' method peer "tandem/peer req/s" "tandem-peer p99 (ms)" "CPU us/req tandem/peer"
  for m in $methods; do
    for peer in nginx haproxy caddy netty-floor; do
      has "$peer" || continue
      printf '%-6s %-8s %-26s %-26s %-26s\n' "$m" "$peer" "$(paired "$m" tandem "$peer" rps ratio | spread 1)" \
        "$(paired "$m" tandem "$peer" p99_us diff | spread 0.001)" \
        "$(paired "$m" tandem "$peer" proxy_cpu_us_per_req ratio | spread 1)"
    done
  done
fi
if has tandem && has tandem-base; then
  echo
  echo "This build against tandem-base (BASE_JAR), paired, median over repetitions [min..max]"
  printf '%-6s %-26s %-26s %-26s\n' method "tandem/tandem-base req/s" "tandem-base p99 diff (ms)" "CPU us/req ratio"
  for m in $methods; do
    printf '%-6s %-26s %-26s %-26s\n' "$m" "$(paired "$m" tandem tandem-base rps ratio | spread 1)" \
      "$(paired "$m" tandem tandem-base p99_us diff | spread 0.001)" \
      "$(paired "$m" tandem tandem-base proxy_cpu_us_per_req ratio | spread 1)"
  done
fi
echo
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
  { n++; if ($idx["attempt"] > 1) again++; if ($idx["foreign_cpu_pct"] > f) f = $idx["foreign_cpu_pct"] }
  END { printf "%d runs kept; %d of them measured again after foreign CPU use; highest foreign CPU in a kept run: %d%% of a core\n", n, again, f }' "$RUNS"
