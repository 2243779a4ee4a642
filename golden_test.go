package authchain_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/internal/setup"
)

var update = flag.Bool("update", false, "rewrite the want.json section of every golden case")

// goldenConfig is a case's config.json: the chain's setup.Config plus what
// the test harness itself controls.
type goldenConfig struct {
	setup.Config
	// Unsynced serves the case from a cache that never syncs.
	Unsynced bool `json:"unsynced,omitempty"`
}

// goldenResult is a case's want.json.
type goldenResult struct {
	Status    int              `json:"status"`
	Principal *authn.Principal `json:"principal,omitempty"`
	Problem   map[string]any   `json:"problem,omitempty"`
	Trace     authn.Trace      `json:"trace"`
	// HeadersAfter are the request headers left once the chain ran: what a
	// handler could read. Identity headers must be gone.
	HeadersAfter http.Header `json:"headersAfter"`
}

// TestGolden runs every testdata/*.txtar case through the full stack
// (setup.Config → strategies → chain → chiadapter) and compares the result
// with the case's want.json. Run with -update to rewrite want.json.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden cases in testdata/")
	}
	pki := newTestPKI(t)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runGolden(t, file, pki)
		})
	}
}

func runGolden(t *testing.T, file string, pki *testPKI) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]byte{}
	for _, f := range ar.Files {
		sections[f.Name] = f.Data
	}
	for _, required := range []string{"config.json", "request"} {
		if _, ok := sections[required]; !ok {
			t.Fatalf("case has no %s section", required)
		}
	}

	var cfg goldenConfig
	dec := json.NewDecoder(bytes.NewReader(sections["config.json"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	cfg.ClientCAs = pki.trustedPool
	if cfg.Issuer != "" {
		cfg.Keys = pki.tokens.keySet
		cfg.Now = func() time.Time { return goldenNow }
	}

	chain, err := cfg.Chain(goldenCluster(t, cfg, sections["cluster.yaml"]))
	if err != nil {
		t.Fatalf("building the chain: %v", err)
	}

	request, err := pki.expandTokens(sections["request"])
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	req, pseudo, err := setup.ParseRequest(bytes.NewReader(request))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if spec, ok := pseudo["tls-client"]; ok {
		req.TLS = pki.clientState(t, spec)
		delete(pseudo, "tls-client")
	}
	if len(pseudo) > 0 {
		t.Fatalf("request: unknown pseudo-headers %v", pseudo)
	}

	got := runRequest(chain, req)

	if *update {
		want, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		replaced := false
		for i := range ar.Files {
			if ar.Files[i].Name == "want.json" {
				ar.Files[i].Data = append(want, '\n')
				replaced = true
			}
		}
		if !replaced {
			ar.Files = append(ar.Files, txtar.File{Name: "want.json", Data: append(want, '\n')})
		}
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantJSON, ok := sections["want.json"]
	if !ok {
		t.Fatal("case has no want.json section; run with -update to create it")
	}
	var want goldenResult
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatalf("want.json: %v", err)
	}
	if diff := cmp.Diff(want, roundTrip(t, got)); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
}

// runRequest sends req through the chi adapter and records what came out.
func runRequest(chain *authn.Chain, req *http.Request) goldenResult {
	var res goldenResult
	mw := chiadapter.Authenticate(chain, chiadapter.WithObserver(
		func(_ *http.Request, _ authn.Principal, t authn.Trace, _ error) { res.Trace = t }))
	handler := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := authn.FromContext(r.Context())
		if !ok {
			http.Error(w, "no principal in context", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	}))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)

	res.Status = rec.Code
	res.HeadersAfter = redactTokens(req.Header)
	if rec.Code == http.StatusOK {
		var p authn.Principal
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err == nil {
			res.Principal = &p
		}
	} else {
		_ = json.Unmarshal(rec.Body.Bytes(), &res.Problem)
		res.Problem["contentType"] = rec.Header().Get("Content-Type")
	}
	return res
}

// redactTokens replaces the values of token headers: tokens are minted
// afresh each run (new keys, randomized signatures), and want.json records
// only that the header was left for the handler.
func redactTokens(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range []string{bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader} {
		for i := range out[name] {
			out[name][i] = "<token>"
		}
	}
	return out
}

// roundTrip gives got the shape a decoded want.json has (nil vs empty).
func roundTrip(t *testing.T, got goldenResult) goldenResult {
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var out goldenResult
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// goldenCluster serves the case's ServiceAccounts from a real informer over
// the fake clientset; cluster.yaml is expanded by setup.ExpandCluster.
func goldenCluster(t *testing.T, cfg goldenConfig, yamlTemplate []byte) strategies.ServiceAccountReader {
	if cfg.Unsynced {
		return setup.Unsynced{}
	}
	yamlText, err := setup.ExpandCluster(yamlTemplate, cfg.BindingKey)
	if err != nil {
		t.Fatalf("cluster.yaml: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := setup.FakeCache(ctx, bytes.NewReader(yamlText))
	if err != nil {
		cancel()
		t.Fatalf("cluster.yaml: %v", err)
	}
	t.Cleanup(func() { cancel(); c.Shutdown() })
	return c
}

// testPKI holds the golden cases' keys: a CA that issues client
// certificates for @tls-client pseudo-headers ("@tls-client: NAME
// trusted|untrusted [server-only]"), and the token issuer's keys.
type testPKI struct {
	trustedPool          *x509.CertPool
	trusted, untrusted   *x509.Certificate
	trustedK, untrustedK *ecdsa.PrivateKey
	tokens               tokenKeys
}

func newTestPKI(t *testing.T) *testPKI {
	p := &testPKI{trustedPool: x509.NewCertPool()}
	p.trusted, p.trustedK = newCA(t, "golden trusted CA")
	p.untrusted, p.untrustedK = newCA(t, "golden untrusted CA")
	p.trustedPool.AddCert(p.trusted)
	p.tokens = newTokenKeys(t)
	return p
}

func newCA(t *testing.T, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func (p *testPKI) clientState(t *testing.T, spec string) *tls.ConnectionState {
	fields := strings.Fields(spec)
	if len(fields) < 2 {
		t.Fatalf("@tls-client: want NAME trusted|untrusted [server-only], got %q", spec)
	}
	ca, caKey := p.trusted, p.trustedK
	if fields[1] == "untrusted" {
		ca, caKey = p.untrusted, p.untrustedK
	}
	usage := x509.ExtKeyUsageClientAuth
	if len(fields) > 2 && fields[2] == "server-only" {
		usage = x509.ExtKeyUsageServerAuth
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: fields[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{leaf}}
}
