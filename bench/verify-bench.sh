#!/usr/bin/env bash
# Database verification benchmark: `tandem verify-db` on a table pair of ROWS rows, identical and then with 3 rows
# changed, against the time to pull every row of both tables out of PostgreSQL (what a verifier that compares row by
# row in its own process has to transfer at least).
#
#   bench/verify-bench.sh                    results: bench/results/verify-<timestamp>/ (gitignored)
#
# Environment: ROWS (1000000), CHUNK (10000, verify.chunkSize), REPS (3), PG (a URL of a user that may create
# databases; postgresql://postgres@127.0.0.1:5432/postgres), TANDEM_JAR (proxy/target/tandem.jar), JAVA (java).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
CHUNK=${CHUNK:-10000}
REPS=${REPS:-3}
PG=${PG:-postgresql://postgres@127.0.0.1:5432/postgres}
JAVA=${JAVA:-java}
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=bench/results/verify-$STAMP
mkdir -p "$RESULTS"
TMP=$(mktemp -d)
PIDS=()
. bench/lib.sh
bench_init_traps
require_tools psql jq "$JAVA"
JAR="$TMP/tandem.jar"
cp "${TANDEM_JAR:-proxy/target/tandem.jar}" "$JAR" || die "build the jar first: mvn -B -q -DskipTests package"

base="${PG%/*}"
LEGACY="$base/tandem_bench_legacy"
CANDIDATE="$base/tandem_bench_candidate"
psql -q "$PG" -c "DROP DATABASE IF EXISTS tandem_bench_legacy WITH (FORCE)" -c "DROP DATABASE IF EXISTS tandem_bench_candidate WITH (FORCE)" \
  -c "CREATE DATABASE tandem_bench_legacy" -c "CREATE DATABASE tandem_bench_candidate"
drop_dbs() { psql -q "$PG" -c "DROP DATABASE IF EXISTS tandem_bench_legacy WITH (FORCE)" -c "DROP DATABASE IF EXISTS tandem_bench_candidate WITH (FORCE)" || true; }
trap 'drop_dbs; bench_cleanup' EXIT

log "loading $ROWS rows into each database"
for db in "$LEGACY" "$CANDIDATE"; do
  psql -q "$db" <<SQL
CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, status text NOT NULL, total numeric(12,2) NOT NULL,
                     note text, created_at timestamptz NOT NULL);
INSERT INTO orders SELECT i, 'customer-' || (i % 997), (ARRAY['NEW','PAID','SHIPPED'])[1 + i % 3], (i % 100000) / 100.0,
       CASE WHEN i % 5 = 0 THEN 'gift' END, timestamptz '2026-01-01' + i * interval '1 second'
  FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE orders;
SQL
done
psql -tAq "$LEGACY" -c "SELECT pg_size_pretty(pg_total_relation_size('orders'))" > "$RESULTS/table-size.txt"

cat > "$TMP/verify.yaml" <<YAML
backends: { legacy: http://127.0.0.1:1 }
routes: [ { name: r, primary: legacy } ]
admin: { host: 127.0.0.1, port: 1 }
verify:
  primary: $LEGACY
  shadow: $CANDIDATE
  history: $TMP/history.jsonl
  chunkSize: $CHUNK
  settle: 100ms
  tables: [ { name: orders, key: [id] } ]
YAML

run_verify() { # label
  local out="$RESULTS/$1.json" start end
  start=$(date +%s%N)
  "$JAVA" -jar "$JAR" verify-db --config "$TMP/verify.yaml" --json > "$out" 2> "$RESULTS/$1.err" || true
  end=$(date +%s%N)
  jq -r --arg run "$1" --argjson wall "$(( (end - start) / 1000000 ))" \
    '.evidence.tables[0] as $t | [$run, $wall, .evidence.millis, $t.primaryRows, $t.chunks, $t.chunksDiffering,
      $t.rowsTransferred, $t.divergentRows, .verdict] | @tsv' "$out" >> "$RESULTS/verify.tsv"
}

pull_all() { # label: every row of both tables, out of PostgreSQL and through the client, discarded
  local start end
  start=$(date +%s%N)
  psql -q "$LEGACY" -c "\\copy (SELECT * FROM orders) TO '/dev/null'"
  psql -q "$CANDIDATE" -c "\\copy (SELECT * FROM orders) TO '/dev/null'"
  end=$(date +%s%N)
  printf '%s\t%d\n' "$1" "$(( (end - start) / 1000000 ))" >> "$RESULTS/pull.tsv"
}

printf 'run\twall_ms\tverify_ms\trows\tchunks\tchunks_compared\trows_transferred\tdivergent\tverdict\n' > "$RESULTS/verify.tsv"
printf 'run\tpull_ms\n' > "$RESULTS/pull.tsv"
for rep in $(seq 1 "$REPS"); do
  log "rep $rep: identical tables"
  run_verify "identical-$rep"
  pull_all "identical-$rep"
done
psql -q "$CANDIDATE" -c "UPDATE orders SET total = total + 0.01 WHERE id IN (17, 500003); DELETE FROM orders WHERE id = 999999"
for rep in $(seq 1 "$REPS"); do
  log "rep $rep: 3 rows differ"
  run_verify "three-differ-$rep"
  pull_all "three-differ-$rep"
done
log "done: $RESULTS"
column -t -s $'\t' "$RESULTS/verify.tsv" | tee "$RESULTS/summary.txt"
column -t -s $'\t' "$RESULTS/pull.tsv" | tee -a "$RESULTS/summary.txt"
echo "table size on each side: $(cat "$RESULTS/table-size.txt")" | tee -a "$RESULTS/summary.txt"
