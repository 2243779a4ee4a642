package jwtcheck

import (
	"encoding/json"
	"strings"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// checkReadHeader holds readHeader to golang-jwt's reading of a header,
// json.Unmarshal into a map: the same alg, kid and crit, an error for the
// same headers, and a missing alg for null.
func checkReadHeader(t *testing.T, header string) {
	t.Helper()
	var m map[string]any
	wantErr := json.Unmarshal([]byte(header), &m)
	var got compactJWS
	err := got.readHeader([]byte(header))
	if (wantErr != nil) != (err != nil) {
		t.Fatalf("%q: readHeader error %v, json.Unmarshal error %v", header, err, wantErr)
	}
	if err != nil {
		return
	}
	alg, _ := m["alg"].(string)
	kidValue, hasKid := m["kid"]
	kid, kidString := kidValue.(string)
	_, crit := m["crit"]
	if got.alg != alg || got.hasKid != hasKid || got.kid != kid || got.kidString != kidString || got.crit != crit {
		t.Fatalf("%q: read alg %q kid %v %q %v crit %v; golang-jwt's map holds alg %q kid %v %q %v crit %v", header,
			got.alg, got.hasKid, got.kid, got.kidString, got.crit, alg, hasKid, kid, kidString, crit)
	}
	if want := gojwt.GetSigningMethod(alg); got.method != want {
		t.Fatalf("%q: method %v, want %v", header, got.method, want)
	}
	// typ: the map's, unless another key of the map spells it otherwise.
	typ, _ := m["typ"].(string)
	for k := range m {
		if k != "typ" && strings.EqualFold(k, "typ") {
			typ = ""
		}
	}
	if got.typ != typ {
		t.Fatalf("%q: typ %q, want %q", header, got.typ, typ)
	}
}

var readHeaderSeeds = []string{
	`{"alg":"RS256","kid":"k1"}`, `{"alg":"RS256","alg":"none"}`, `{"ALG":"HS256","alg":"ES256"}`, `{"\u0061lg":"PS256"}`,
	`{"alg":5}`, `{"alg":null}`, `{"alg":"RS256","kid":7}`, `{"alg":"RS256","kid":null}`, `{"alg":"RS256","crit":["b64"]}`,
	`{"alg":"RS256","crit":null}`, `null`, ` null `, `[]`, `"x"`, `{}`, ``, `{"alg":"RS256"`, `{"alg":"RS\u0032\u00356","x":{"alg":"none"}}`,
	`{"typ":"JWT"}`, `{"typ":"JWT","TYP":"x+jwt"}`, `{"Typ":"a","typ":"b"}`, `{"\u0074yp":"x+jwt"}`, `{"typ":7}`, `{"typ":"J\u0057T"}`,
	`{"kid":"\ud800","alg":"ES256"}`, "{\"kid\":\"\xff\",\"alg\":\"ES256\"}", "{\"\xff\":1,\"alg\":\"\"}", `{"a":[1,{"b":"]}"}],"alg":"EdDSA"}`,
}

func TestReadHeaderMatchesGolangJWT(t *testing.T) {
	for _, h := range readHeaderSeeds {
		checkReadHeader(t, h)
	}
}

func FuzzReadHeader(f *testing.F) {
	for _, h := range readHeaderSeeds {
		f.Add(h)
	}
	f.Fuzz(checkReadHeader)
}
