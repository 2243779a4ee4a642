package authntest

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/internal/textrequest"
)

// GoldenCase is one golden file, as the build function of Golden sees it.
type GoldenCase struct {
	// Name is the file's base name without ".txtar"; File is its path.
	Name, File string
	// Config is the config.yaml or config.json section (a case holds one
	// of them) and Cluster the cluster.yaml section, nil when absent: what
	// they mean is the build function's business (Cluster builds a fake
	// cluster from the latter).
	Config, Cluster []byte
	// Sections holds every section by name, those above included.
	Sections map[string][]byte
	// ClientCAs holds the CA that signs the certificates of
	// "@tls-client: NAME trusted": give it to
	// strategies.TrustClientCertificate.
	ClientCAs *x509.CertPool
	// ClientCAPEM is the same CA's certificate in PEM, for a configuration
	// file's CA file.
	ClientCAPEM []byte
}

// GoldenOption configures Golden.
type GoldenOption func(*goldenConfig)

type goldenConfig struct {
	update   bool
	funcs    template.FuncMap
	redacted []string
}

// WithUpdate makes Golden rewrite each case's want.json with what the chain
// answered, instead of comparing; pass a flag of the caller's
// (flag.Bool("update", …)) and review the diff before committing.
func WithUpdate(update bool) GoldenOption {
	return func(c *goldenConfig) { c.update = update }
}

// WithRequestFuncs makes the functions available to the request section,
// which Golden runs as a text/template when it holds "{{": use them to mint
// tokens from readable claims, such as Issuer.TemplateFuncs.
func WithRequestFuncs(funcs template.FuncMap) GoldenOption {
	return func(c *goldenConfig) {
		if c.funcs == nil {
			c.funcs = template.FuncMap{}
		}
		for k, v := range funcs {
			c.funcs[k] = v
		}
	}
}

// WithRedactedHeaders makes want.json record "<token>" for each value of
// the named headers left for the handler, for tokens minted afresh on each
// run. Authorization is always redacted.
func WithRedactedHeaders(names ...string) GoldenOption {
	return func(c *goldenConfig) { c.redacted = append(c.redacted, names...) }
}

// goldenResult is a case's want.json; see the package documentation.
type goldenResult struct {
	Status       int              `json:"status"`
	Principal    *authn.Principal `json:"principal,omitempty"`
	Problem      map[string]any   `json:"problem,omitempty"`
	Trace        authn.Trace      `json:"trace"`
	HeadersAfter http.Header      `json:"headersAfter"`
}

// Golden runs every file pattern matches (filepath.Glob, such as
// "testdata/*.txtar") as a subtest named after the file: it calls build
// with the case, sends the case's request through
// chiadapter.Authenticate over the Authenticator build returns, and
// compares status, Principal, problem, trace and the headers left for the
// handler with the want.json section (see the package documentation for
// the format). build fails t itself if the case is malformed; a nil
// Authenticator fails the case. No file matching, an unreadable file, a
// section name that appears twice, a request section that does not parse,
// a missing want.json (unless WithUpdate), or a want.json with a member
// the result does not have or a member named twice in one object (in any
// letter case) fails the test.
func Golden(t *testing.T, pattern string, build func(t testing.TB, c GoldenCase) authn.Authenticator, opts ...GoldenOption) {
	t.Helper()
	cfg := goldenConfig{redacted: []string{"Authorization"}}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatalf("authntest: Golden: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("authntest: Golden: no file matches %q", pattern)
	}
	trusted, untrusted := NewCA(t, "golden trusted CA"), NewCA(t, "golden untrusted CA")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			runGolden(t, cfg, file, name, trusted, untrusted, build)
		})
	}
}

func runGolden(t *testing.T, cfg goldenConfig, file, name string, trusted, untrusted *CA, build func(testing.TB, GoldenCase) authn.Authenticator) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := GoldenCase{Name: name, File: file, Sections: map[string][]byte{}, ClientCAs: trusted.Pool(), ClientCAPEM: trusted.PEM()}
	for _, f := range ar.Files {
		// A reader sees the first of two sections of one name, a map keeps
		// the last: a case could say one thing and check another.
		if _, dup := c.Sections[f.Name]; dup {
			t.Fatalf("section %q appears more than once; a case holds each section once", f.Name)
		}
		c.Sections[f.Name] = f.Data
	}
	c.Config, c.Cluster = c.Sections["config.yaml"], c.Sections["cluster.yaml"]
	if json, ok := c.Sections["config.json"]; ok {
		if c.Config != nil {
			t.Fatal("case has both config.yaml and config.json; it holds one")
		}
		c.Config = json
	}
	requestText, ok := c.Sections["request"]
	if !ok {
		t.Fatal("case has no request section")
	}
	a := build(t, c)
	if a == nil {
		t.Fatal("build returned no Authenticator")
	}
	req := goldenRequest(t, cfg, requestText, trusted, untrusted)
	got := serveGolden(a, req, cfg.redacted)

	if cfg.update {
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
	wantJSON, ok := c.Sections["want.json"]
	if !ok {
		t.Fatal("case has no want.json section; run with the update switch to create it")
	}
	want, err := decodeWant(wantJSON)
	if err != nil {
		t.Fatalf("want.json: %v", err)
	}
	if diff := cmp.Diff(want, roundTrip(t, got)); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
}

// decodeWant decodes a want.json section strictly: a member the result
// does not have (a misspelt "headersAfer", say) would otherwise be ignored,
// and the case would claim what it does not check.
func decodeWant(b []byte) (goldenResult, error) {
	if err := noRepeatedMembers(b); err != nil {
		return goldenResult{}, err
	}
	var want goldenResult
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&want); err != nil {
		return goldenResult{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return goldenResult{}, errors.New("data after the JSON value")
	}
	return want, nil
}

// goldenRequest expands and parses the request section.
func goldenRequest(t *testing.T, cfg goldenConfig, text []byte, trusted, untrusted *CA) *http.Request {
	if bytes.Contains(text, []byte("{{")) {
		tmpl, err := template.New("request").Option("missingkey=error").Funcs(cfg.funcs).Parse(string(text))
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		var out bytes.Buffer
		if err := tmpl.Execute(&out, nil); err != nil {
			t.Fatalf("request: %v", err)
		}
		text = out.Bytes()
	}
	req, pseudo, err := textrequest.Parse(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if spec, ok := pseudo["tls-client"]; ok {
		fields := strings.Fields(spec)
		if len(fields) < 2 || len(fields) > 3 || fields[1] != "trusted" && fields[1] != "untrusted" ||
			len(fields) == 3 && fields[2] != "server-only" {
			t.Fatalf("request: @tls-client: want NAME trusted|untrusted [server-only], got %q", spec)
		}
		ca := trusted
		if fields[1] == "untrusted" {
			ca = untrusted
		}
		req.TLS = ca.ClientState(t, ClientCert{CommonName: fields[0], ServerOnly: len(fields) == 3})
		delete(pseudo, "tls-client")
	}
	if len(pseudo) > 0 {
		t.Fatalf("request: unknown pseudo-headers %v", pseudo)
	}
	return req
}

// serveGolden sends req through the chi adapter and records what came out.
func serveGolden(a authn.Authenticator, req *http.Request, redacted []string) goldenResult {
	var res goldenResult
	mw := chiadapter.Authenticate(a, chiadapter.WithObserver(
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
	res.HeadersAfter = redactHeaders(req.Header, redacted)
	if rec.Code == http.StatusOK {
		var p authn.Principal
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err == nil {
			res.Principal = &p
		}
	} else {
		_ = json.Unmarshal(rec.Body.Bytes(), &res.Problem)
		if res.Problem == nil {
			res.Problem = map[string]any{"body": rec.Body.String()}
		}
		res.Problem["contentType"] = rec.Header().Get("Content-Type")
	}
	return res
}

// redact replaces the values of the named headers: tokens are minted afresh
// each run, and want.json records only that the header was left.
func redactHeaders(h http.Header, names []string) http.Header {
	out := h.Clone()
	for _, name := range names {
		for i := range out[http.CanonicalHeaderKey(name)] {
			out[http.CanonicalHeaderKey(name)][i] = "<token>"
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

// noRepeatedMembers walks the first JSON value of b and refuses an object
// that names a member twice, in any letter case: a reader sees the first,
// encoding/json keeps the last and matches names case-insensitively, so
// {"status": 401, "Status": 200} would say one thing and check another.
func noRepeatedMembers(b []byte) error {
	// object is one open object or array: the names seen, and whether the
	// next token is a name.
	type object struct {
		names    []string
		isObject bool
		wantName bool
	}
	var stack []*object
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if name, ok := tok.(string); ok && top != nil && top.wantName {
			for _, seen := range top.names {
				if strings.EqualFold(seen, name) {
					return fmt.Errorf("member %q repeats %q in one object; give each member once", name, seen)
				}
			}
			top.names = append(top.names, name)
			top.wantName = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, &object{isObject: tok == json.Delim('{'), wantName: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object's next token is a name.
		if len(stack) == 0 {
			return nil
		}
		if top = stack[len(stack)-1]; top.isObject {
			top.wantName = true
		}
	}
}
