package main

import (
	"strings"
	"testing"
)

const raw = `goos: linux
pkg: github.com/authchain/authchain/benchmarks
BenchmarkKubernetesUnionHeaderRequest-2   	 1000000	      1000 ns/op	     568 B/op	       7 allocs/op
BenchmarkAuthchainFullChainHuman-2        	 1000000	       200 ns/op	     100 B/op	       2 allocs/op
BenchmarkKubernetesUnionHeaderRequest-2   	 1000000	      3000 ns/op	     568 B/op	       7 allocs/op
BenchmarkAuthchainFullChainHuman-2        	 1000000	       400 ns/op	     100 B/op	       2 allocs/op
BenchmarkCacheFill/keys=100000-2        	       1	 502406796 ns/op	       891.4 heap-B/key
PASS
`

func TestTable(t *testing.T) {
	results, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := results["CacheFill/keys=100000"]["heap-B/key"]; len(got) != 1 || got[0] != 891.4 {
		t.Errorf("custom metric = %v, want [891.4]", got)
	}
	var out strings.Builder
	if err := writeTable(&out, results, []string{"human|KubernetesUnionHeaderRequest|AuthchainFullChainHuman"}); err != nil {
		t.Fatal(err)
	}
	want := "| human | KubernetesUnionHeaderRequest | 2.00 µs (1.00 µs–3.00 µs) | 7 | AuthchainFullChainHuman | 300 ns (200 ns–400 ns) | 2 | **0.15×** |\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("table:\n%s\nwant last row:\n%s", out.String(), want)
	}
	if err := writeTable(&out, results, []string{"x|Missing|AuthchainFullChainHuman"}); err == nil {
		t.Error("a comparison without results gave no error")
	}
}

func TestValues(t *testing.T) {
	results, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := writeValues(&out, results, []string{"CacheFill/keys=100000"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| CacheFill/keys=100000 | heap-B/key | 891.4 (891.4–891.4) | 1 |\n",
		"| CacheFill/keys=100000 | ns/op | 502.41 ms (502.41 ms–502.41 ms) | 1 |\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("values:\n%s\nwant row %q", out.String(), want)
		}
	}
}
