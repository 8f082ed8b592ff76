#!/usr/bin/env bash
# Summarizes runs.tsv from bench/mirror-bench.sh: medians per method, shadow and target; paired ratios (runs of the
# same repetition), medians over the repetitions; the DESIGN.md mirroring targets; Tandem's mirror ledger.
#   bench/mirror-summarize.sh bench/results/latest-mirror/runs.tsv
set -euo pipefail
RUNS=${1:?usage: mirror-summarize.sh runs.tsv}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { # method shadow target column -> values, one per run
  awk -F'\t' -v m="$1" -v s="$2" -v t="$3" -v c="$4" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $2 == m && $3 == s && $4 == t { print $idx[c] }' "$RUNS"
}
# per repetition: column of (method sa ta) over, or minus, column of (method sb tb); op = ratio | diff
paired() { # method sa ta sb tb column op
  awk -F'\t' -v m="$1" -v sa="$2" -v ta="$3" -v sb="$4" -v tb="$5" -v c="$6" -v op="$7" '
    NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $2 == m { v[$1, $3, $4] = $idx[c]; reps[$1] = 1 }
    END { for (r in reps) if (((r, sa, ta) in v) && ((r, sb, tb) in v) && v[r, sb, tb] != 0)
      print (op == "ratio" ? v[r, sa, ta] / v[r, sb, tb] : v[r, sa, ta] - v[r, sb, tb]) }' "$RUNS"
}
spread() { sort -g | awk -v s="$1" '{ v[NR] = $1 * s } END { if (NR == 0) { print "n/a"; exit }
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f [%.2f..%.2f]", m, v[1], v[NR] }'; }
sum() { awk '{ s += $1 } END { print s + 0 }'; }
ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }

methods=$(awk -F'\t' 'NR > 1 && !s[$2]++ { print $2 }' "$RUNS")
shadows=$(awk -F'\t' 'NR > 1 && !s[$3]++ { print $3 }' "$RUNS")
targets=$(awk -F'\t' 'NR > 1 && !s[$4]++ { print $4 }' "$RUNS")
reps=$(awk -F'\t' 'NR > 1 && !s[$1]++' "$RUNS" | wc -l)
has() { grep -qx "$1" <<<"$targets"; }
hass() { grep -qx "$1" <<<"$shadows"; }

echo "Medians over $reps repetitions (latency in ms; CPU = the proxy under test on its core; copies/s and"
echo "conns/s: what the shadow itself counted, per second of the run; errors: sum over the runs)"
printf '%-5s %-6s %-9s %9s %8s %8s %6s %8s %9s %9s %9s %6s\n' method shadow target "req/s" p50 p99 "CPU %" \
  "CPU us/rq" "copies/s" "conns/s" "copies %" errors
for m in $methods; do
  for s in $shadows; do
    for t in nginx nginx-ka tandem tandem-rate; do
      has "$t" || continue
      copies_pct=$(awk -F'\t' -v m="$m" -v s="$s" -v t="$t" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
        $2 == m && $3 == s && $4 == t { c += $idx["shadow_requests"]; n += $idx["rps"] * $idx["duration_s"] }
        END { printf "%.1f", (n > 0 ? 100 * c / n : 0) }' "$RUNS")
      printf '%-5s %-6s %-9s %9.0f %8s %8s %6.0f %8.1f %9.0f %9.0f %9s %6d\n' "$m" "$s" "$t" \
        "$(col "$m" "$s" "$t" rps | median)" "$(ms "$(col "$m" "$s" "$t" p50_us | median)")" \
        "$(ms "$(col "$m" "$s" "$t" p99_us | median)")" "$(col "$m" "$s" "$t" proxy_cpu_pct | median)" \
        "$(col "$m" "$s" "$t" proxy_cpu_us_per_req | median)" \
        "$(paste <(col "$m" "$s" "$t" shadow_requests) <(col "$m" "$s" "$t" duration_s) | awk '{ print $1 / $2 }' | median)" \
        "$(paste <(col "$m" "$s" "$t" shadow_connections) <(col "$m" "$s" "$t" duration_s) | awk '{ print $1 / $2 }' | median)" \
        "$copies_pct" "$(col "$m" "$s" "$t" errors | sum)"
    done
  done
done
echo "(copies %: copies the shadow received / requests wrk completed, all runs; for Tandem it includes copies of"
echo " requests still in flight when wrk stopped, so a little over 100% is normal. tandem-rate: Tandem at a fixed"
echo " offered load, see RATE in machine.txt)"

if has tandem && has nginx; then
  echo
  echo "Target 1: Tandem with 100% mirroring >= 3x NGINX-mirror req/s (paired ratios, median [min..max])"
  printf '%-5s %-6s %-26s %-26s %s\n' method shadow "tandem/nginx req/s" "tandem-nginx p99 (ms)" verdict
  for m in $methods; do
    for s in $shadows; do
      r=$(paired "$m" "$s" tandem "$s" nginx rps ratio | spread 1)
      d=$(paired "$m" "$s" tandem "$s" nginx p99_us diff | spread 0.001)
      v=$(awk -v r="${r%% *}" 'BEGIN { print (r >= 3.0) ? "MET" : "NOT MET" }')
      printf '%-5s %-6s %-26s %-26s %s\n' "$m" "$s" "$r" "$d" "$v"
    done
  done
  if has nginx-ka; then
    for m in $methods; do
      for s in $shadows; do
        printf '%-5s %-6s tandem/nginx-ka req/s %s\n' "$m" "$s" "$(paired "$m" "$s" tandem "$s" nginx-ka rps ratio | spread 1)"
      done
    done
  fi
fi

if { has tandem || has tandem-rate; } && hass fast; then
  echo
  echo "Target 2: a slow or silent shadow changes Tandem's primary req/s and p99 by less than 5%"
  echo "(paired within each repetition: the shadow's run over the fast-shadow run, median [min..max]; judged on"
  echo " tandem-rate, the same offered load in both runs: req/s within 5% and p99 at most 5% higher. At full load"
  echo " (tandem, nginx) the runs are not comparable that way: Tandem drops what the slow shadow cannot take, so it"
  echo " does less work per request; NGINX waits for the shadow)"
  printf '%-5s %-6s %-11s %-24s %-24s %s\n' method shadow target "req/s vs fast" "p99 vs fast" verdict
  for m in $methods; do
    for s in $shadows; do
      [ "$s" != fast ] || continue
      for t in tandem-rate tandem nginx nginx-ka; do
        has "$t" || continue
        r=$(paired "$m" "$s" "$t" fast "$t" rps ratio | spread 1)
        p=$(paired "$m" "$s" "$t" fast "$t" p99_us ratio | spread 1)
        case $t in
          tandem-rate) v=$(awk -v r="${r%% *}" -v p="${p%% *}" \
            'BEGIN { print (r >= 0.95 && r <= 1.05 && p <= 1.05) ? "MET" : "NOT MET" }') ;;
          tandem) v=$(awk -v r="${r%% *}" -v p="${p%% *}" \
            'BEGIN { print (r >= 0.95 && p <= 1.05) ? "(not worse)" : "(worse)" }') ;;
          *) v="" ;;
        esac
        printf '%-5s %-6s %-11s %-24s %-24s %s\n' "$m" "$s" "$t" "$r" "$p" "$v"
      done
    done
  done
fi

if has tandem || has tandem-rate; then
  echo
  echo "Tandem's mirror ledger (GET /admin/mirror/stats), deltas summed over the $reps runs of each case, read after"
  echo "the copies settled; shadow got = requests the shadow itself counted"
  printf '%-5s %-6s %-11s %9s %9s %9s %8s %9s %7s %8s %8s %6s %5s %10s %9s\n' method shadow target eligible sent \
    delivered "deliv %" dropped_q failed timeout dead_let dup rate "shadow got" balanced
  for m in $methods; do
    for s in $shadows; do
      for t in tandem tandem-rate; do
        awk -F'\t' -v m="$m" -v s="$s" -v t="$t" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
          $2 == m && $3 == s && $4 == t {
            e += $idx["eligible"]; se += $idx["sent"]; d += $idx["delivered"]; q += $idx["dropped_queue_full"]
            f += $idx["failed"]; to += $idx["timeout"]; dl += $idx["dead_lettered"]; du += $idx["duplicate"]
            rl += $idx["rate_limited"]; got += $idx["shadow_requests"]; n++
            if ($idx["balanced"] == "true") b++ }
          END { if (n) printf "%-5s %-6s %-11s %9d %9d %9d %7.1f%% %9d %7d %8d %8d %6d %5d %10d %6d/%d\n", m, s, t, e,
            se, d, (e ? 100 * d / e : 0), q, f, to, dl, du, rl, got, b, n }' "$RUNS"
      done
    done
  done
fi

if { has tandem || has tandem-rate; } && head -n1 "$RUNS" | grep -qw young_gcs; then
  echo
  echo "Tandem's garbage collection during the runs (jstat; SerialGC unless JAVA_OPTS says otherwise): young"
  echo "collections per second and their mean pause (all runs); share of the run spent in GC pauses; full collections"
  echo "and their total pause; old generation in use after the last run of the case"
  printf '%-5s %-6s %-11s %10s %14s %9s %7s %13s %12s\n' method shadow target "young GC/s" "mean pause ms" "GC time" \
    "full GC" "full GC ms" "old gen MB"
  for m in $methods; do
    for s in $shadows; do
      for t in tandem tandem-rate; do
        awk -F'\t' -v m="$m" -v s="$s" -v t="$t" 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
          $2 == m && $3 == s && $4 == t && $idx["young_gcs"] != "-" {
            n += $idx["young_gcs"]; ms += $idx["young_gc_ms"]; secs += $idx["duration_s"]; f += $idx["full_gcs"]
            if ("full_gc_ms" in idx) fms += $idx["full_gc_ms"]; old = $idx["old_used_mb"]; k++ }
          END { if (k) printf "%-5s %-6s %-11s %10.1f %14.2f %8.1f%% %7d %13.1f %12.1f\n", m, s, t, n / secs,
            (n ? ms / n : 0), (ms + fms) / secs / 10, f, fms, old }' "$RUNS"
      done
    done
  done
fi

echo
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
  { n++; if ($idx["attempt"] > 1) again++; if ($idx["foreign_cpu_pct"] > f) f = $idx["foreign_cpu_pct"]
    if (("jit_cpu_pct" in idx) && $idx["jit_cpu_pct"] > j) j = $idx["jit_cpu_pct"] }
  END { printf "%d runs kept; %d of them measured again after foreign CPU use; highest foreign CPU in a kept run: %d%% of a core\n", n, again, f
        printf "highest JIT compiler CPU during a measured Tandem run: %.1f%% of a core\n", j }' "$RUNS"
