#!/usr/bin/env bash
# Summarizes runs.tsv from bench/h2-bench.sh: medians per scenario and target, and Tandem/NGINX ratios from paired
# runs (the targets measured in the same repetition), medians over the repetitions [min..max].
#   bench/h2-summarize.sh bench/results/latest-h2/runs.tsv
set -euo pipefail
RUNS=${1:?usage: h2-summarize.sh runs.tsv}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { # scenario target column-name -> values
  awk -F'\t' -v s="$1" -v t="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $2 == s && $3 == t { print $idx[c] }' "$RUNS"
}
# scenario a b column op -> per repetition a/b (op=ratio) or a-b (op=diff)
paired() {
  awk -F'\t' -v s="$1" -v a="$2" -v b="$3" -v c="$4" -v op="$5" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $2 == s { v[$1, $3] = $idx[c]; reps[$1] = 1 }
    END { for (r in reps) if (((r, a) in v) && ((r, b) in v) && (op == "diff" || v[r, b] != 0))
      print (op == "ratio" ? v[r, a] / v[r, b] : v[r, a] - v[r, b]) }' "$RUNS"
}
spread() { sort -g | awk -v s="$1" '{ v[NR] = $1 * s } END { if (NR == 0) { print "n/a"; exit }
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f [%.2f..%.2f]", m, v[1], v[NR] }'; }
ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
sum() { awk '{ s += $1 } END { print s + 0 }'; }

scenarios=$(awk -F'\t' 'NR > 1 && !s[$2]++ { print $2 }' "$RUNS")
targets=$(awk -F'\t' 'NR > 1 && !s[$3]++ { print $3 }' "$RUNS")
reps=$(awk -F'\t' 'NR > 1 && !s[$1]++' "$RUNS" | wc -l)
has() { grep -qx "$1" <<<"$targets"; }

echo "Medians over $reps repetitions. req/s, mean, sd and max as h2load prints them (its \"time for request\");"
echo "p50/p99 from h2load's per-request log; ms. CPU = the target's process(es) on its core over the measured"
echo "window (direct: the backend). conns: its connections to the backend mid-run. errors/non-2xx: sums."
printf '%-6s %-7s %9s %7s %7s %7s %7s %8s %6s %7s %6s %7s\n' scenario target "req/s" mean sd p50 p99 max "CPU %" \
  "us/req" conns "errors"
for s in $scenarios; do
  for t in direct nginx tandem; do
    has "$t" || continue
    printf '%-6s %-7s %9.0f %7s %7s %7s %7s %8s %6.0f %7.1f %6s %7s\n' "$s" "$t" "$(col "$s" "$t" rps | median)" \
      "$(ms "$(col "$s" "$t" mean_us | median)")" "$(ms "$(col "$s" "$t" sd_us | median)")" \
      "$(ms "$(col "$s" "$t" p50_us | median)")" "$(ms "$(col "$s" "$t" p99_us | median)")" \
      "$(ms "$(col "$s" "$t" max_us | median)")" "$(col "$s" "$t" proxy_cpu_pct | median)" \
      "$(col "$s" "$t" proxy_cpu_us_per_req | median)" \
      "$(col "$s" "$t" upstream_conns | grep -v '^-$' | median | sed 's/^nan$/-/')" \
      "$(col "$s" "$t" errors | sum)/$(col "$s" "$t" non2xx | sum)"
  done
done

if has tandem && has nginx; then
  echo
  echo "Tandem against NGINX, paired (same repetition), median over repetitions [min..max]"
  printf '%-6s %-20s %-22s %-22s %-20s %-20s\n' scenario "req/s ratio" "mean diff (ms)" "p99 diff (ms)" \
    "CPU us/req ratio" "nginx/direct req/s"
  for s in $scenarios; do
    nd=n/a
    has direct && nd=$(paired "$s" nginx direct rps ratio | spread 1)
    printf '%-6s %-20s %-22s %-22s %-20s %-20s\n' "$s" "$(paired "$s" tandem nginx rps ratio | spread 1)" \
      "$(paired "$s" tandem nginx mean_us diff | spread 0.001)" "$(paired "$s" tandem nginx p99_us diff | spread 0.001)" \
      "$(paired "$s" tandem nginx proxy_cpu_us_per_req ratio | spread 1)" "$nd"
  done
fi
echo
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
  { n++; if ($idx["attempt"] > 1) again++; if ($idx["foreign_cpu_pct"] > f) f = $idx["foreign_cpu_pct"]
    if ($idx["target"] == "tandem" && $idx["jit_cpu_pct"] > j) j = $idx["jit_cpu_pct"] }
  END { printf "%d runs kept; %d of them measured again after foreign CPU use; highest foreign CPU in a kept run: %d%% of a core; Tandem JIT at most %.1f%% of a core in a measured run\n", n, again, f, j }' "$RUNS"
