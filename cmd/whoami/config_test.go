package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clusterConfig is an authnconfig file equal to the flags
// -annotation example.com/owner -require-label kind=robot
// -require-token-proof=false over the default trust and headers.
const clusterConfig = `apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded:
      preset: oauth2-proxy
      trust:
        cidrs: [127.0.0.0/8, "::1/128"]
  - serviceAccount:
      insecureBelieveForwardedSubjects: true
  - annotation:
      creatorAnnotation: example.com/owner
      requireLabels: {kind: robot}
  - synthetic: {}
`

const robotCluster = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: u-1
  labels: {kind: robot}
  annotations: {example.com/owner: carol}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: plain
  namespace: team
  uid: u-2
  labels: {kind: robot}
`

// TestConfigExplainMatchesFlags: -config builds the chain from the file,
// over -cluster; a file that says what flags say answers every request
// as the flags do, principal, status and trace.
func TestConfigExplainMatchesFlags(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.yaml")
	writeFile(t, cluster, robotCluster)
	config := filepath.Join(dir, "chain.yaml")
	writeFile(t, config, clusterConfig)
	for _, request := range []string{
		"X-Forwarded-User: system:serviceaccount:team:key\n",
		"X-Forwarded-User: system:serviceaccount:team:plain\n",
		"X-Forwarded-User: system:serviceaccount:team:missing\n",
		"X-Forwarded-User: alice@example.com\nX-Forwarded-Groups: dev\n",
		"@peer: 192.0.2.1:4000\nX-Forwarded-User: alice@example.com\n",
		"Authorization: Bearer not-a-token\n",
		"",
	} {
		fromFlags, flagsCode := explainRun(t, request, "-cluster", cluster, "-annotation", "example.com/owner", "-require-label", "kind=robot", "-require-token-proof=false")
		fromFile, fileCode := explainRun(t, request, "-cluster", cluster, "-config", config)
		if diff := cmp.Diff(fromFlags, fromFile); diff != "" || flagsCode != fileCode {
			t.Errorf("%q: exit %d from flags, %d from -config; (-flags +config):\n%s", request, flagsCode, fileCode, diff)
		}
	}
	if res, _ := explainRun(t, "X-Forwarded-User: system:serviceaccount:team:key\n", "-cluster", cluster, "-config", config); res.Principal == nil || res.Principal.User.Name != "carol" {
		t.Fatalf("-config: %+v; want carol", res)
	}
}

// TestConfigExcludesChainFlags: -config with a flag that shapes the chain
// is a usage error naming the flag; flags that do not shape it combine.
func TestConfigExcludesChainFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-config", "c.yaml", "-issuer", "https://issuer.example", "-audience", "api"},
		{"-config", "c.yaml", "-require-label", "a=b"},
		{"-config", "c.yaml", "-require-token-proof=true"},
		{"-config", "c.yaml", "-trust-cidr", "10.0.0.0/8"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "drop ") || !strings.Contains(stderr.String(), strings.SplitN(args[2], "=", 2)[0]) {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming %s", args, code, stderr.String(), args[2])
		}
	}
	for _, args := range [][]string{
		{"-config", "c.yaml", "-listen", "127.0.0.1:0", "-metrics-listen", "127.0.0.1:0", "-log-format", "json"},
		{"-config", "c.yaml", "-cluster", "x.yaml", "-explain", "-sync-timeout", "1s"},
		{"-config", "c.yaml", "-kubeconfig", "kc"},
	} {
		if _, err := parseFlags(args, io.Discard); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	var stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	if code := run(context.Background(), []string{"-config", missing}, strings.NewReader(""), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q; want 2", code, stderr.String())
	}
}

// TestConfigServeReloads: whoami -config serves the file's chain and
// reloads it when it changes; an invalid file is logged with its field
// path and counted as a failed reload, and the chain in effect stays.
func TestConfigServeReloads(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.yaml")
	writeFile(t, cluster, robotCluster)
	config := filepath.Join(dir, "chain.yaml")
	writeFile(t, config, clusterConfig)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-config", config, "-cluster", cluster, "-listen", "127.0.0.1:0", "-metrics-listen", "127.0.0.1:0", "-log-format", "json"},
			strings.NewReader(""), io.Discard, &stderr)
	}()
	record := func(msg string) map[string]any {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
				return rec
			}
		}
		return nil
	}
	waitUntil(ctx, 10*time.Second, func() bool { return record("serving metrics") != nil && record("serving") != nil })
	metricsURL := "http://" + record("serving metrics")["addr"].(string) + "/metrics"
	sample := func(line string) bool { return strings.Contains(scrapeText(t, metricsURL), line) }
	hash := record("serving")["hash"].(string)
	if !sample(`authchain_config_info{hash="` + hash + `"} 1`) {
		t.Fatalf("no info metric for %s", hash)
	}

	writeFile(t, config, strings.Replace(clusterConfig, "kind: robot", "kind: robot, app: x", 1))
	waitUntil(ctx, 10*time.Second, func() bool { return record("authchain configuration reloaded") != nil })
	if !sample(`authchain_config_reloads_total{result="success"} 1`) || sample(`authchain_config_info{hash="`+hash+`"}`) {
		t.Errorf("after a valid change, metrics:\n%s", scrapeText(t, metricsURL))
	}

	writeFile(t, config, strings.Replace(clusterConfig, "127.0.0.0/8", "not-a-cidr", 1))
	waitUntil(ctx, 10*time.Second, func() bool { return record("authchain configuration refused; the previous one stays in effect") != nil })
	refused := record("authchain configuration refused; the previous one stays in effect")
	if errs, _ := refused["errors"].([]any); len(errs) != 1 || !strings.HasPrefix(errs[0].(string), "spec.strategies[0].forwarded.trust.cidrs[0]") {
		t.Errorf("refusal logged as %v; want the field path", refused)
	}
	if !sample(`authchain_config_reloads_total{result="failure"} 1`) {
		t.Errorf("after an invalid change, metrics:\n%s", scrapeText(t, metricsURL))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, stderr %s", code, stderr.String())
	}
	_ = os.Remove(config)
}
