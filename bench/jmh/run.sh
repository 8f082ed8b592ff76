#!/usr/bin/env bash
# The comparator's JMH benchmark on one core: comparisons per second of two ~2 KB JSON bodies under a rule set.
#   mvn -B -q install -DskipTests        # at the root, once: installs tandem-comparator
#   (cd bench/jmh && mvn -B -q package)  # builds bench/jmh/target/benchmarks.jar
#   bench/jmh/run.sh                     # ~1 minute; extra arguments go to JMH
#   BENCHMARKS=EdgeBenchmark JMH_OPTS="-f 3 -wi 5 -w 1s -i 5 -r 2s" bench/jmh/run.sh   # the edge's checks
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar="$here/target/benchmarks.jar"
[ -f "$jar" ] || { echo "build it first: (cd bench/jmh && mvn -B -q package)" >&2; exit 2; }
# JMH_OPTS overrides the run's shape (e.g. JMH_OPTS="-f 3 -wi 5 -i 10"); BENCHMARKS picks the benchmark.
# shellcheck disable=SC2086
exec taskset -c 0 java -XX:ActiveProcessorCount=1 -jar "$jar" ${JMH_OPTS:--f 1 -t 1 -wi 10 -w 2s -i 5 -r 3s} "$@" \
  "${BENCHMARKS:-CompareBenchmark}"
