package jwtcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// claimSeeds are payloads with registered names repeated, recased,
// escaped, nested and out of range.
var claimSeeds = []string{
	`{"aud":"a","AUD":"b"}`, `{"\u0061ud":1,"aud":2}`, `{"x":{"aud":1},"aud":2}`,
	`{"exp":1e30}`, `{"a\"b":"aud","iat":"5"}`, `{"sub":[{"Sub":1}]}`, `{"\u017fub":1}`,
	`{"exp":"inf"}`, `{"nbf":null,"iat":true}`, `null`, `[]`, `{"iss":1,}`, ` {"jti" : "x" } `,
}

// referenceProblem is what a json.Decoder walk of payload, a JSON object,
// finds: a registered name in another case or twice, or "" (it does not
// judge times).
func referenceProblem(payload []byte) string {
	dec := json.NewDecoder(bytes.NewReader(payload))
	_, _ = dec.Token()
	seen := map[string]bool{}
	for dec.More() {
		tok, _ := dec.Token()
		name := tok.(string)
		var skip json.RawMessage
		_ = dec.Decode(&skip)
		for _, r := range registeredNames {
			switch {
			case !strings.EqualFold(name, r):
			case name != r:
				return reasonRecased
			case seen[name]:
				return reasonRepeated
			}
		}
		seen[name] = true
	}
	return ""
}

// checkProblem holds a judgement got of payload to the reference.
func checkProblem(t *testing.T, what string, payload []byte, got string) {
	t.Helper()
	var obj map[string]any
	if json.Unmarshal(payload, &obj) != nil || obj == nil {
		return
	}
	want := referenceProblem(payload)
	if want != "" && got != want {
		t.Fatalf("%s(%q) = %q, want %q", what, payload, got, want)
	}
	if want == "" && got != "" && got != reasonTimeOutside {
		t.Fatalf("%s(%q) = %q for a payload without a repeated or recased name", what, payload, got)
	}
}

// FuzzClaimsProblem compares ClaimsProblem with a json.Decoder walk of
// the same object: for every payload encoding/json accepts, both find a
// registered name in another case or twice alike.
func FuzzClaimsProblem(f *testing.F) {
	for _, seed := range claimSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkProblem(t, "ClaimsProblem", payload, ClaimsProblem(payload))
	})
}

// recordingReader keeps every member ReadClaims gives it.
type recordingReader struct{ names, values []string }

func (r *recordingReader) ReadClaim(name, value []byte) error {
	r.names, r.values = append(r.names, string(name)), append(r.values, string(value))
	return nil
}

// FuzzReadClaims holds the one-pass reader to encoding/json: an error for
// exactly the bytes json.Unmarshal refuses, every top-level member in
// order as a json.Decoder reads it, and the judgement of ClaimsProblem's
// reference.
func FuzzReadClaims(f *testing.F) {
	for _, seed := range append(claimSeeds, validJSONSeeds...) {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var r recordingReader
		problem, err := ReadClaims(payload, &r)
		var obj map[string]json.RawMessage
		if wantErr := json.Unmarshal(payload, &obj); (wantErr != nil) != (err != nil) {
			t.Fatalf("ReadClaims(%q) error %v, json.Unmarshal error %v", payload, err, wantErr)
		}
		if err != nil {
			return
		}
		if obj == nil {
			if problem != malformed || len(r.names) != 0 {
				t.Fatalf("ReadClaims(%q) = %q with %d members, want null malformed", payload, problem, len(r.names))
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(payload))
		_, _ = dec.Token()
		i := 0
		for ; dec.More(); i++ {
			tok, _ := dec.Token()
			var value json.RawMessage
			_ = dec.Decode(&value)
			if i >= len(r.names) || r.names[i] != tok.(string) || r.values[i] != string(value) {
				t.Fatalf("ReadClaims(%q): member %d differs from json.Decoder's %q: %q", payload, i, tok, value)
			}
		}
		if i != len(r.names) {
			t.Fatalf("ReadClaims(%q) read %d members, json.Decoder %d", payload, len(r.names), i)
		}
		checkProblem(t, "ReadClaims", payload, problem)
		if want := ClaimsProblem(payload); problem != want {
			t.Fatalf("ReadClaims(%q) judged %q, ClaimsProblem %q", payload, problem, want)
		}
	})
}
