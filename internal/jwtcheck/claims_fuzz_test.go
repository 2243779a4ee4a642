package jwtcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzClaimsProblem compares the byte scanner with a json.Decoder walk of
// the same object: for every payload encoding/json accepts, both find a
// registered name in another case or twice alike.
func FuzzClaimsProblem(f *testing.F) {
	for _, seed := range []string{
		`{"aud":"a","AUD":"b"}`, `{"\u0061ud":1,"aud":2}`, `{"x":{"aud":1},"aud":2}`,
		`{"exp":1e30}`, `{"a\"b":"aud","iat":"5"}`, `{"sub":[{"Sub":1}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var obj map[string]any
		if json.Unmarshal(payload, &obj) != nil || obj == nil {
			return
		}
		got := ClaimsProblem(payload)
		want := ""
		dec := json.NewDecoder(bytes.NewReader(payload))
		_, _ = dec.Token()
		seen := map[string]bool{}
		for dec.More() && want == "" {
			tok, _ := dec.Token()
			name := tok.(string)
			var skip json.RawMessage
			_ = dec.Decode(&skip)
			for _, r := range registeredNames {
				switch {
				case !strings.EqualFold(name, r):
				case name != r:
					want = "token claims spell a registered claim in another case"
				case seen[name]:
					want = "token claims repeat a registered claim"
				}
			}
			seen[name] = true
		}
		if want != "" && got != want {
			t.Fatalf("ClaimsProblem(%q) = %q, want %q", payload, got, want)
		}
		if want == "" && got != "" && got != "token time claims out of range" {
			t.Fatalf("ClaimsProblem(%q) = %q for a payload without a repeated or recased name", payload, got)
		}
	})
}
