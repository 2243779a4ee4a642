package main

// Adversarial tests of whoami's flags after the API change: help output,
// and every flag still parsing.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
)

// TestAttack8HelpStatesEachDefaultOnce: a flag whose usage text spells its
// default and whose value also prints one shows "(default …)" twice, as
// -require-label and -trust-cidr do.
func TestAttack8HelpStatesEachDefaultOnce(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Count(line, "(default") > 1 {
			t.Errorf("help repeats a default: %q", strings.TrimSpace(line))
		}
	}
}

// TestAttack8EveryFlagStillParses: each flag of the help, given a value of
// its kind, is accepted by the parser (whether the combination runs is
// run's business).
func TestAttack8EveryFlagStillParses(t *testing.T) {
	keyFile := t.TempDir() + "/binding.key"
	if err := os.WriteFile(keyFile, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-listen", "127.0.0.1:0"},
		{"-cluster", "x.yaml"},
		{"-kubeconfig", "kc"},
		{"-trust-cidr", "10.0.0.0/8", "-trust-cidr", "::1/128"},
		{"-headers", "nginx"},
		{"-annotation", "example.com/owner"},
		{"-require-label", "a=b", "-require-label", "c=d"},
		{"-binding-key-file", keyFile},
		{"-issuer", "https://issuer.example", "-audience", "api", "-jwks-file", "j"},
		{"-issuer", "https://issuer.example", "-audience", "api", "-ca-file", "ca"},
		{"-kubeconfig", "kc", "-tokenreview", "-audience", "api"},
		{"-forwarded-access-token"},
		{"-require-token-proof=false"},
		{"-demo-token", "ci-bot"},
		{"-explain"},
		{"-max-staleness", "1m"},
		{"-sync-timeout", "1s"},
		{"-config", "chain.yaml"},
	} {
		var out bytes.Buffer
		if _, err := parseFlags(args, &out); err != nil {
			t.Errorf("%q: %v %s", args, err, out.String())
		}
	}
}

// TestAttack8DemoTokenForUnknownNameFails: -demo-token of a name not in
// the demo cluster exits non-zero and prints no token.
func TestAttack8DemoTokenForUnknownNameFails(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-demo-token", "nosuch"}, strings.NewReader(""), &stdout, &stderr)
	if code == 0 || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q", code, stdout.String())
	}
}
