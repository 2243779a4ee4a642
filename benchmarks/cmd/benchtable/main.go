// Command benchtable turns `go test -bench` output into the markdown tables
// of BENCHMARKS.md: for each comparison, the median and range of ns/op and
// the allocations of a base benchmark and of the benchmark measured against
// it, and the ratio of their medians. benchmarks/run.sh calls it; benchstat
// gives the same data with confidence intervals.
//
//	benchtable RAW 'LABEL|BASE|OTHER' ...
//	benchtable -values RAW NAME ...
//
// The second form lists, for each named benchmark, the median and range of
// every unit it reported (ns/op, B/op, custom metrics such as heap-B/key).
//
// BASE and OTHER are benchmark names without "Benchmark" and without the
// -GOMAXPROCS suffix, e.g. 'human|KubernetesUnionHeaderRequest|AuthchainFullChainHuman'.
package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/authchain/authchain/benchmarks/internal/spread"
)

func main() {
	args := os.Args[1:]
	values := len(args) > 0 && args[0] == "-values"
	if values {
		args = args[1:]
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtable RAW 'LABEL|BASE|OTHER' ...\n       benchtable -values RAW NAME ...")
		os.Exit(2)
	}
	f, err := os.Open(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	defer f.Close()
	results, err := parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	write := writeTable
	if values {
		write = writeValues
	}
	if err := write(os.Stdout, results, args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// samples are the runs of one benchmark: a value per run for each unit.
type samples map[string][]float64

// parse reads benchmark result lines ("BenchmarkName-2  N  V unit  V unit
// ...") and ignores every other line.
func parse(r io.Reader) (map[string]samples, error) {
	out := map[string]samples{}
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if out[name] == nil {
			out[name] = samples{}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", fields[0], fields[i], err)
			}
			out[name][fields[i+1]] = append(out[name][fields[i+1]], v)
		}
	}
	return out, lines.Err()
}

// writeTable writes one row per comparison "LABEL|BASE|OTHER".
func writeTable(w io.Writer, results map[string]samples, comparisons []string) error {
	fmt.Fprintln(w, "| comparison | base | base ns/op | base allocs | measured | measured ns/op | measured allocs | measured / base |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, c := range comparisons {
		parts := strings.Split(c, "|")
		if len(parts) != 3 {
			return fmt.Errorf("comparison %q is not LABEL|BASE|OTHER", c)
		}
		label, base, other := parts[0], results[parts[1]], results[parts[2]]
		if base == nil || other == nil {
			return fmt.Errorf("comparison %q: no results for %s or %s", label, parts[1], parts[2])
		}
		_, baseMedian, _ := spread.Of(base["ns/op"])
		_, otherMedian, _ := spread.Of(other["ns/op"])
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | **%.2f×** |\n", label,
			parts[1], timeSpread(base["ns/op"]), allocs(base), parts[2], timeSpread(other["ns/op"]), allocs(other),
			otherMedian/baseMedian)
	}
	return nil
}

// writeValues writes one row per benchmark and unit.
func writeValues(w io.Writer, results map[string]samples, names []string) error {
	fmt.Fprintln(w, "| benchmark | unit | median (range) | runs |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, name := range names {
		s := results[name]
		if s == nil {
			return fmt.Errorf("no results for %s", name)
		}
		units := slices.Sorted(maps.Keys(s))
		for _, unit := range units {
			vs := s[unit]
			value := timeSpread(vs)
			if unit != "ns/op" {
				lo, med, hi := spread.Of(vs)
				value = fmt.Sprintf("%.4g (%.4g–%.4g)", med, lo, hi)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %d |\n", name, unit, value, len(vs))
		}
	}
	return nil
}

// timeSpread formats the median and range of ns/op values.
func timeSpread(vs []float64) string {
	lo, med, hi := spread.Of(vs)
	return fmt.Sprintf("%s (%s–%s)", duration(med), duration(lo), duration(hi))
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

// allocs is the median of allocs/op, or "–" without -benchmem.
func allocs(s samples) string {
	if len(s["allocs/op"]) == 0 {
		return "–"
	}
	_, med, _ := spread.Of(s["allocs/op"])
	return strconv.FormatFloat(med, 'f', -1, 64)
}
