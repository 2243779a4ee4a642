#!/usr/bin/env bash
# Runs authchain's side-by-side benchmarks and prints their tables:
# Kubernetes' authenticators against authchain's on the same request
# (benchmarks module), the access-key path against the human path (root
# package), cold JWT verification against the bare signature check
# (authn/bearer/jwt), and the chain with 100 against 100k cached keys; then
# the sync time and heap per key of a 100k-key cache. Each benchmark runs
# in a process of its own, COUNT rounds (default 6), the pair's order
# alternating by round, so that the two sides of a ratio share the
# machine's state. Prints markdown tables of the ratios (cmd/benchtable),
# then benchstat's view: every benchmark with its confidence interval, and
# each pair side by side.
#
#   benchmarks/run.sh                   # COUNT=6
#   COUNT=10 BENCHTIME=2s benchmarks/run.sh
#
# Raw output is kept in .cache/bench/raw.txt. benchstat is built once, at a
# pinned version, into .cache/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-6}"
benchtime="${BENCHTIME:-1s}"
out="$PWD/.cache/bench"
mkdir -p "$out"

benchstat_version=v0.0.0-20260908200009-22c9c6c9d4da
benchstat="$PWD/.cache/tools/benchstat-$benchstat_version"
if [ ! -x "$benchstat" ]; then
  GOBIN="$PWD/.cache/tools/tmp" go install "golang.org/x/perf/cmd/benchstat@$benchstat_version"
  mkdir -p "$(dirname "$benchstat")"
  mv "$PWD/.cache/tools/tmp/benchstat" "$benchstat"
fi

# One test binary per package; go test -c builds without running.
(cd benchmarks && go test -c -o "$out/benchmarks.test" .)
go test -c -o "$out/root.test" .
go test -c -o "$out/jwt.test" ./authn/bearer/jwt

# Comparisons: LABEL|BINARY|BASE|MEASURED (benchmark names without
# "Benchmark"). The first two keep the names issue 11 reported against.
comparisons=(
  "human, front-proxy headers: union(headerrequest) vs full chain|benchmarks|KubernetesUnionHeaderRequest|AuthchainFullChainHuman"
  "human, front-proxy headers: union(headerrequest) vs forwarded alone|benchmarks|KubernetesUnionHeaderRequest|AuthchainForwardedOnly"
  "human: union(headerrequest) vs full chain on oauth2-proxy headers|benchmarks|KubernetesUnionHeaderRequest|AuthchainFullChainOAuth2ProxyHuman"
  "cached bearer hit: CachedTokenAuthenticator vs tokenreview|benchmarks|KubernetesCachedTokenAuthenticatorHit|AuthchainTokenReviewHit"
  "access key with annotation vs human (oauth2-proxy headers)|root|ChainHuman|ChainAccessKeyAnnotation"
  "RS256: bare verify vs cold JWT verification|jwt|BareRSAVerifyPKCS1v15|JWTVerifyRS256Cold"
  "ES256: bare verify vs cold JWT verification|jwt|BareECDSAVerify|JWTVerifyES256Cold"
  "chain on an access key, 100 vs 100k cached keys|benchmarks|ChainCachedKeys/keys=100|ChainCachedKeys/keys=100000"
)
# Harness costs inside the figures above, timed alone in the same rounds.
harness=("benchmarks|HarnessRestore" "root|ChainHeaderRestore")
# Benchmarks that time both sides inside one loop and report the ratio
# themselves (thread CPU per request, or the two arms interleaved): their
# ratios hold on a loaded machine where wall-clock pairs swing.
sidebyside=("benchmarks|SideBySideHeaderPathsCPU" "benchmarks|TokenHitOverKubernetes" "jwt|JWTColdOverBare")

raw="$out/raw.txt"
: > "$raw"
bench() { # BINARY DIR NAME [BENCHTIME]
  (cd "$2" && "$out/$1.test" -test.run '^$' -test.bench "^Benchmark$3\$" -test.benchmem \
    -test.count 1 -test.benchtime "${4:-$benchtime}") >> "$raw"
}
dir_of() { case "$1" in benchmarks) echo benchmarks ;; jwt) echo authn/bearer/jwt ;; *) echo . ;; esac; }
for round in $(seq "$count"); do
  echo "round $round of $count" >&2
  declare -A ran=()
  for c in "${comparisons[@]}"; do
    IFS='|' read -r _ bin base measured <<<"$c"
    first=$base second=$measured
    if [ $((round % 2)) -eq 0 ]; then first=$measured second=$base; fi
    # A benchmark in several comparisons runs once per round.
    for name in "$first" "$second"; do
      [ -n "${ran[$name]:-}" ] && continue
      bench "$bin" "$(dir_of "$bin")" "$name"
      ran[$name]=1
    done
  done
  for h in "${harness[@]}" "${sidebyside[@]}"; do
    IFS='|' read -r bin name <<<"$h"
    bench "$bin" "$(dir_of "$bin")" "$name"
  done
  # One fill per round: ns/op is the time to sync, heap-B/key the heap.
  bench benchmarks benchmarks "CacheFill/keys=100000" 1x
done

echo
echo "## Ratios (median of $count interleaved rounds; measured / base, below 1 is faster)"
echo
pairs=()
for c in "${comparisons[@]}"; do
  IFS='|' read -r label _ base measured <<<"$c"
  pairs+=("$label|$base|$measured")
done
(cd benchmarks && go run ./cmd/benchtable "$raw" "${pairs[@]}")
echo
echo "The first four rows include restoring the stripped headers each iteration: HarnessRestore and"
echo "ChainHeaderRestore below time that alone; subtract it before reading a ratio of small numbers."
echo
echo "## A cache of 100k access keys: time to sync (ns/op) and heap per key"
echo
(cd benchmarks && go run ./cmd/benchtable -values "$raw" "CacheFill/keys=100000")

echo
echo "## benchstat: every benchmark"
"$benchstat" "$raw"

# Each comparison as columns base and measured of one row, so that
# benchstat prints the change and its significance.
relabeled="$out/pairs.txt"
: > "$relabeled"
for c in "${comparisons[@]}"; do
  IFS='|' read -r label _ base measured <<<"$c"
  row=$(echo "$label" | tr -c 'A-Za-z0-9\n' '_')
  grep -E "^Benchmark$base-[0-9]+[[:space:]]" "$raw" | sed -E "s#^Benchmark$base-#BenchmarkPair/row=$row/side=base-#" >> "$relabeled"
  grep -E "^Benchmark$measured-[0-9]+[[:space:]]" "$raw" | sed -E "s#^Benchmark$measured-#BenchmarkPair/row=$row/side=measured-#" >> "$relabeled"
done
echo
echo "## benchstat: each comparison, base against measured"
"$benchstat" -col /side "$relabeled"
