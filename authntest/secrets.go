package authntest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/authchain/authchain/authn"
)

// secretForm is one way a secret can show in an output: what to search
// for, and how a failure message names it.
type secretForm struct{ label, text string }

// minSecretPiece is the shortest piece of a secret the suite flags: shorter
// ones match ordinary text too often.
const minSecretPiece = 8

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

// findSecret returns the first form of forms in text.
func findSecret(text string, forms []secretForm) (secretForm, bool) {
	for _, f := range forms {
		if strings.Contains(text, f.text) {
			return f, true
		}
	}
	return secretForm{}, false
}

func (su *suite) noSecretInOutput(t suiteT) {
	t.Helper()
	forms := make([][]secretForm, len(su.c.Secrets))
	for i, secret := range su.c.Secrets {
		forms[i] = secretForms(secret)
	}
	for _, cred := range su.creds() {
		outputs := su.outputs(cred)
		for _, o := range outputs {
			for i, secret := range su.c.Secrets {
				if f, ok := findSecret(o.text, forms[i]); ok {
					t.Errorf("%s: secret #%d (%s), %s, is in %s: %q", credName(cred), i, redact(secret), f.label, o.where, o.text)
				}
			}
		}
	}
}

// outputs returns everything a client, a log, a trace or a handler sees of
// one request with cred.
func (su *suite) outputs(cred *Credential) []output {
	// The chain alone: decisions, trace, error, Principal, and the request
	// it leaves.
	var outputs []output
	r := su.request(cred)
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
	res := su.serve(su.request(cred))
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
