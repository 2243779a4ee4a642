package authntest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/ascii"
)

// secretForm is one way a secret can show in an output: what to search
// for, and how a failure message names it.
type secretForm struct{ label, text string }

// minSecretPiece is the shortest piece of a secret the suite flags on its
// own: shorter ones match ordinary text too often.
const minSecretPiece = 8

// minCoverPiece is the shortest piece counted towards a secret's coverage
// (see coverage); NoSecretInOutput flags pieces that cover half of it.
const minCoverPiece = 4

// secretForms returns the forms of secret the suite searches every output
// for: the secret itself; every piece of it at least max(8, len/2) bytes
// long, so that a secret split across two outputs (Reason and Detail, say)
// is found in each; and its base64 (standard, URL-safe, both with and
// without padding) and hex (lower and upper case) encodings.
func secretForms(secret string) []secretForm {
	if secret == "" {
		return nil
	}
	forms := []secretForm{{"verbatim", secret}}
	if n := max(minSecretPiece, len(secret)/2); n < len(secret) {
		// Any longer piece holds one of these.
		seen := map[string]bool{}
		for i := 0; i+n <= len(secret); i++ {
			if piece := secret[i : i+n]; !seen[piece] {
				seen[piece] = true
				forms = append(forms, secretForm{fmt.Sprintf("a %d-byte piece (bytes %d to %d)", n, i, i+n), piece})
			}
		}
	}
	b := []byte(secret)
	for _, e := range []struct {
		label string
		text  string
	}{
		{"base64 (standard)", base64.StdEncoding.EncodeToString(b)},
		{"base64 (URL-safe)", base64.URLEncoding.EncodeToString(b)},
		{"base64 (standard, unpadded)", base64.RawStdEncoding.EncodeToString(b)},
		{"base64 (URL-safe, unpadded)", base64.RawURLEncoding.EncodeToString(b)},
		{"hex", hex.EncodeToString(b)},
		{"hex (upper case)", strings.ToUpper(hex.EncodeToString(b))},
	} {
		forms = append(forms, secretForm(e))
	}
	return forms
}

// findSecret returns the first form of forms in text, as it is or, failing
// that, in another ASCII letter case (a strategy that upper-cases a key
// still writes it).
func findSecret(text string, forms []secretForm) (secretForm, bool) {
	for _, f := range forms {
		if strings.Contains(text, f.text) {
			return f, true
		}
	}
	folded := ascii.Lower(text)
	for _, f := range forms {
		if strings.Contains(folded, ascii.Lower(f.text)) {
			return secretForm{f.label + " in another letter case", f.text}, true
		}
	}
	return secretForm{}, false
}

// grams is the set of minCoverPiece-byte runs of some texts, case-folded,
// each with the first text holding it.
type grams map[string]string

// gramsOf returns the runs of outputs; a run never spans two outputs.
func gramsOf(outputs []output) grams {
	g := grams{}
	for _, o := range outputs {
		t := ascii.Lower(o.text)
		for i := 0; i+minCoverPiece <= len(t); i++ {
			if _, ok := g[t[i:i+minCoverPiece]]; !ok {
				g[t[i:i+minCoverPiece]] = o.where
			}
		}
	}
	return g
}

// coverage returns how many bytes of secret are covered by its runs of
// minCoverPiece bytes or more (any longer run is a chain of these) that
// found holds and baseline does not, and where they were found. Discounting
// baseline, the outputs of the same request without the secret, is what
// makes this sound for short runs: a run of a secret that the library or
// the strategy writes anyway ("Bearer", "authn", a header name) is there
// without the secret too, and does not count.
func coverage(secret string, found, baseline grams) (int, []string) {
	s := ascii.Lower(secret)
	covered := make([]bool, len(s))
	var where []string
	for i := 0; i+minCoverPiece <= len(s); i++ {
		g := s[i : i+minCoverPiece]
		w, ok := found[g]
		if _, common := baseline[g]; !ok || common {
			continue
		}
		for j := i; j < i+minCoverPiece; j++ {
			covered[j] = true
		}
		if !slices.Contains(where, w) {
			where = append(where, w)
		}
	}
	n := 0
	for _, c := range covered {
		if c {
			n++
		}
	}
	return n, where
}

// withoutSecrets returns r with every secret in its header values and
// query replaced by as many bytes of one character the secret does not
// hold, so that no run of the replacement is a run of the secret.
func withoutSecrets(r *http.Request, secrets []string) *http.Request {
	replace := func(v string) string {
		for _, s := range secrets {
			v = strings.ReplaceAll(v, s, strings.Repeat(string(filler(s)), len(s)))
		}
		return v
	}
	for k, vs := range r.Header {
		// New values: an option may have handed in a slice it keeps.
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = replace(v)
		}
		r.Header[k] = out
	}
	r.URL.RawQuery = replace(r.URL.RawQuery)
	return r
}

// filler returns a character secret does not hold, a letter if it can, so
// that a token stays a token to a parser as long as possible.
func filler(secret string) byte {
	const candidates = "qzxjQZXJ0123456789~!*#%^&()[]{}<>|;?"
	folded := ascii.Lower(secret)
	for i := range len(candidates) {
		if c := candidates[i]; !strings.ContainsRune(folded, rune(ascii.Lower(string(c))[0])) {
			return c
		}
	}
	return 0 // a secret holding every candidate: NUL shares no run with it either
}

// carries reports whether r holds secret in a header value or its query.
func carries(r *http.Request, secret string) bool {
	for _, vs := range r.Header {
		for _, v := range vs {
			if strings.Contains(v, secret) {
				return true
			}
		}
	}
	return strings.Contains(r.URL.RawQuery, secret)
}

func (su *suite) noSecretInOutput(t suiteT) {
	t.Helper()
	forms := make([][]secretForm, len(su.c.Secrets))
	for i, secret := range su.c.Secrets {
		forms[i] = secretForms(secret)
	}
	for _, cred := range su.creds() {
		outputs := su.outputs(func() *http.Request { return su.request(cred) })
		flagged := make([]bool, len(su.c.Secrets))
		for _, o := range outputs {
			for i, secret := range su.c.Secrets {
				if f, ok := findSecret(o.text, forms[i]); ok {
					flagged[i] = true
					t.Errorf("%s: secret #%d (%s), %s, is in %s: %q", credName(cred), i, redact(secret), f.label, o.where, o.text)
				}
			}
		}
		// Pieces too short to flag alone, spread over several outputs.
		var found, baseline grams
		for i, secret := range su.c.Secrets {
			if flagged[i] || !carries(su.request(cred), secret) {
				continue
			}
			if found == nil {
				found = gramsOf(outputs)
				baseline = gramsOf(su.outputs(func() *http.Request { return withoutSecrets(su.request(cred), su.c.Secrets) }))
			}
			if n, where := coverage(secret, found, baseline); 2*n >= len(secret) {
				t.Errorf("%s: secret #%d (%s): pieces of it (%d bytes or longer, in any letter case) cover %d of its %d bytes, "+
					"spread over %s; write no part of a secret anywhere", credName(cred), i, redact(secret), minCoverPiece,
					n, len(secret), strings.Join(where, ", "))
			}
		}
	}
}

// outputs returns everything a client, a log, a trace or a handler sees of
// one request, which build makes (twice: one for the chain alone, one for
// the middleware).
func (su *suite) outputs(build func() *http.Request) []output {
	// The chain alone: decisions, trace, error, Principal, and the request
	// it leaves.
	var outputs []output
	r := build()
	p, tr, err := su.chain.Authenticate(r)
	for _, e := range tr {
		outputs = append(outputs, output{"Decision.Reason of " + e.Strategy, e.Reason}, output{"Decision.Detail of " + e.Strategy, e.Detail})
	}
	outputs = append(outputs, formatted("Chain.Authenticate's trace", tr)...)
	outputs = append(outputs, formatted("Chain.Authenticate's error", err)...)
	if err != nil {
		outputs = append(outputs, output{"the error's message", err.Error()})
		var ae *authn.Error
		if errors.As(err, &ae) && ae.Cause != nil {
			outputs = append(outputs, output{"the error's Cause", ae.Cause.Error()})
		}
	} else {
		outputs = append(outputs, formatted("Chain.Authenticate's Principal", p)...)
	}
	outputs = append(outputs, headerOutputs("the request after Chain.Authenticate", r.Header)...)
	// Through the middleware: what the client, the observer and the
	// handler get.
	res := su.serve(build())
	outputs = append(outputs, output{"the response body", res.rec.Body.String()})
	for k, vs := range res.rec.Header() {
		for _, v := range vs {
			outputs = append(outputs, output{"response header " + k, v})
		}
	}
	for i, v := range res.observation {
		outputs = append(outputs, formatted("the observer's "+[]string{"Principal", "Trace", "error"}[i], v)...)
	}
	outputs = append(outputs, headerOutputs("the request the observer saw", res.observed)...)
	outputs = append(outputs, headerOutputs("the request the handler saw", res.handled)...)
	return outputs
}

// headerOutputs returns each header line of h, name included, since a
// strategy could hand a secret on in either.
func headerOutputs(where string, h http.Header) []output {
	var out []output
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, output{fmt.Sprintf("header %s of %s", k, where), k + ": " + v})
		}
	}
	return out
}

// output is one text a client, log, trace or handler could see.
type output struct{ where, text string }

// formatted returns v as %v, %+v and JSON.
func formatted(where string, v any) []output {
	js, err := json.Marshal(v)
	if err != nil {
		js = []byte(err.Error())
	}
	return []output{
		{where + " (%v)", fmt.Sprintf("%v", v)},
		{where + " (%+v)", fmt.Sprintf("%+v", v)},
		{where + " (JSON)", string(js)},
	}
}

// redact shows enough of a secret to recognise it.
func redact(s string) string {
	if len(s) <= 8 {
		return "…"
	}
	return s[:6] + "…"
}
