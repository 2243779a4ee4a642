package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/internal/tokentest"
)

// printConfigRun runs `whoami -print-config` with args and returns what
// it prints and its exit code.
func printConfigRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"-print-config"}, args...), strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// TestDefaultConfig: the embedded default is a valid configuration file,
// and without chain flags it is the configuration whoami prints, strategy
// for strategy.
func TestDefaultConfig(t *testing.T) {
	parsed, err := authnconfig.Parse(defaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	built, err := parsed.Build(context.Background(), authnconfig.Deps{ServiceAccounts: emptyCluster{}})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	if diff := cmp.Diff([]string{"forwarded", "serviceaccount", "annotation", "synthetic"}, built.Chain.Strategies()); diff != "" {
		t.Errorf("default strategies (-want +got):\n%s", diff)
	}
	out, stderr, code := printConfigRun(t)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	printed, err := authnconfig.Parse([]byte(out))
	if err != nil {
		t.Fatalf("printed configuration: %v\n%s", err, out)
	}
	if diff := cmp.Diff(parsed, printed, cmpopts.IgnoreUnexported(authnconfig.ChainConfiguration{})); diff != "" {
		t.Errorf("printed without flags (-embedded +printed):\n%s", diff)
	}
}

// emptyCluster is a synced cluster without ServiceAccounts.
type emptyCluster struct{}

func (emptyCluster) ServiceAccount(string, string) (strategies.ServiceAccountMeta, bool, error) {
	return strategies.ServiceAccountMeta{}, false, nil
}

func (emptyCluster) HasSynced() bool { return true }

// TestPrintConfigAnswersAsFlags: the configuration -print-config prints
// for a set of chain flags, saved anywhere and given back with -config,
// answers every request as the flags do: principal, status and trace.
func TestPrintConfigAnswersAsFlags(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.yaml")
	writeFile(t, cluster, robotCluster)
	k := tokentest.Keys()
	jwksFile := filepath.Join(dir, "issuer.jwks")
	writeFile(t, jwksFile, string(tokentest.JWKS(t, &k.RSA.PublicKey)))
	bindingKey := filepath.Join(dir, "binding.key")
	writeFile(t, bindingKey, "whoami-test-binding-key-0123456789abcdef")

	now := time.Now()
	const issuer = "https://issuer.example"
	keyToken := tokentest.Mint(t, gojwt.SigningMethodRS256, k.RSA, tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.Claims(
		tokentest.Set("iss", issuer), tokentest.Set("sub", "system:serviceaccount:team:key"), tokentest.Set("aud", []string{"api"}),
		tokentest.Set("iat", now.Unix()), tokentest.Set("nbf", now.Unix()), tokentest.Set("exp", now.Add(time.Hour).Unix()),
		tokentest.SetK8s("namespace", "team"), tokentest.SetK8s("pod", nil), tokentest.SetK8s("node", nil),
		tokentest.SetK8s("serviceaccount", map[string]any{"name": "key", "uid": "u-1"})))
	requests := []string{
		"X-Forwarded-User: system:serviceaccount:team:key\n",
		"X-Forwarded-User: system:serviceaccount:team:key\nAuthorization: Bearer " + keyToken + "\n",
		"X-Forwarded-User: system:serviceaccount:team:key\nX-Forwarded-Access-Token: " + keyToken + "\n",
		"Authorization: Bearer " + keyToken + "\n",
		"X-Forwarded-User: system:serviceaccount:team:plain\n",
		"X-Forwarded-User: alice@example.com\nX-Forwarded-Groups: dev\n",
		"X-Auth-Request-User: alice@example.com\n",
		"@peer: 192.0.2.1:4000\nX-Forwarded-User: alice@example.com\n",
		"@peer: 10.1.2.3:4000\nX-Forwarded-User: alice@example.com\n",
		"Authorization: Bearer not-a-token\n",
		"",
	}
	for _, flags := range [][]string{
		{},
		{"-annotation", "example.com/owner", "-require-label", "kind=robot", "-require-token-proof=false"},
		{"-annotation", "example.com/owner", "-require-label", "kind=robot", "-issuer", issuer, "-jwks-file", jwksFile, "-audience", "api"},
		{"-annotation", "example.com/owner", "-require-label", "kind=robot", "-issuer", issuer, "-jwks-file", jwksFile, "-audience", "api", "-forwarded-access-token"},
		{"-trust-cidr", "10.0.0.0/8", "-headers", "nginx", "-binding-key-file", bindingKey, "-require-token-proof=false"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			out, stderr, code := printConfigRun(t, flags...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			// Saved apart from the files it names.
			config := filepath.Join(t.TempDir(), "chain.yaml")
			writeFile(t, config, out)
			for _, request := range requests {
				fromFlags, flagsCode := explainRun(t, request, append([]string{"-cluster", cluster}, flags...)...)
				fromFile, fileCode := explainRun(t, request, "-cluster", cluster, "-config", config)
				if diff := cmp.Diff(fromFlags, fromFile); diff != "" || flagsCode != fileCode {
					t.Errorf("%.60q: exit %d from flags, %d from -config; (-flags +config):\n%s", request, flagsCode, fileCode, diff)
				}
			}
			// The token is verified, not merely refused alike.
			if slices.Contains(flags, "-issuer") {
				res, _ := explainRun(t, "Authorization: Bearer "+keyToken+"\n", "-cluster", cluster, "-config", config)
				if res.Principal == nil || res.Principal.User.Name != "carol" || !slices.Contains(res.Principal.Via, "jwt") {
					t.Errorf("the key's token: %+v; want carol through jwt", res)
				}
			}
		})
	}
}

// TestPrintConfigShape: the chain flags edit the embedded default in
// place, token strategies going after forwarded and jwt before
// tokenReview, and file references are absolute.
func TestPrintConfigShape(t *testing.T) {
	dir := t.TempDir()
	jwksFile := filepath.Join(dir, "issuer.jwks")
	writeFile(t, jwksFile, string(tokentest.StaticJWKS(t)))
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, jwksFile)
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := printConfigRun(t, "-kubeconfig", "unused", "-tokenreview", "-issuer", "https://issuer.example",
		"-jwks-file", rel, "-audience", "api", "-audience", "console", "-trust-cidr", "10.0.0.0/8", "-annotation", "example.com/owner")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	cfg, err := authnconfig.Parse([]byte(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := cfg.Spec.Strategies
	if len(s) != 6 || s[0].Forwarded == nil || s[1].JWT == nil || s[2].TokenReview == nil || s[3].ServiceAccount == nil || s[4].Annotation == nil || s[5].Synthetic == nil {
		t.Fatalf("strategies out of order:\n%s", out)
	}
	if diff := cmp.Diff([]string{"10.0.0.0/8"}, s[0].Forwarded.Trust.CIDRs); diff != "" {
		t.Errorf("trust CIDRs (-want +got):\n%s", diff)
	}
	if s[1].JWT.JWKSFile != jwksFile || !cmp.Equal(s[1].JWT.Audiences, []string{"api", "console"}) || !cmp.Equal(s[2].TokenReview.Audiences, []string{"api", "console"}) {
		t.Errorf("token strategies: jwt %+v, tokenReview %+v", s[1].JWT, s[2].TokenReview)
	}
	if a := s[4].Annotation; a.CreatorAnnotation != "example.com/owner" || !cmp.Equal(a.RequireLabels, map[string]string{"app": "ambient-access-key"}) {
		t.Errorf("annotation %+v: want the key edited and the default labels kept", a)
	}
	if s[3].ServiceAccount.InsecureBelieveForwardedSubjects {
		t.Error("token proof turned off without -require-token-proof=false")
	}
	// Discovery without a key file.
	out, _, code = printConfigRun(t, "-issuer", "https://issuer.example", "-audience", "api")
	if cfg, err := authnconfig.Parse([]byte(out)); code != 0 || err != nil || cfg.Spec.Strategies[1].JWT == nil || cfg.Spec.Strategies[1].JWT.Discovery == nil {
		t.Errorf("-issuer alone: exit %d, %v:\n%s", code, err, out)
	}
}

// TestPrintConfigRefuses: -print-config exits 2, printing nothing, rather
// than print a file that would answer otherwise than the flags: a binding
// key file the flag trims, and -ca-file, which no file can say; and it
// prints nothing for -config, which is a file already.
func TestPrintConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	writeFile(t, key, "whoami-test-binding-key-0123456789abcdef\n")
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, "not used")
	for flag, args := range map[string][]string{
		"-binding-key-file": {"-binding-key-file", key},
		"-ca-file":          {"-issuer", "https://issuer.example", "-audience", "api", "-ca-file", ca},
		"-config":           {"-config", filepath.Join(dir, "chain.yaml")},
	} {
		out, stderr, code := printConfigRun(t, args...)
		if code != 2 || out != "" || !strings.Contains(stderr, flag) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 naming %s", args, code, out, stderr, flag)
		}
	}
	if _, err := parseFlags([]string{"-print-config", "-config", "c.yaml"}, io.Discard); err == nil {
		t.Error("-print-config with -config parsed")
	}
}
