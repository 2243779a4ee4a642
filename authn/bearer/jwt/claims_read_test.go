package jwt

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/internal/jwtcheck"
	"github.com/authchain/authchain/internal/tokentest"
)

// readPayloadSeeds are payloads on each path of ReadClaim: every field,
// every JSON type in each, null, repeats, names in another case and with
// escapes.
var readPayloadSeeds = []string{
	`{}`, `null`, ` {"iss" : "a" } `, `[]`, `"x"`, `5`, `true`,
	`{"iss":"a","iss":null}`, `{"iss":"a","ISS":"b"}`, `{"\u0069ss":"a"}`, `{"iss":"\u00e9\ud800"}`, `{"iss":5}`,
	`{"sub":"x","SUB":null,"jti":"j","Jti":["x"]}`,
	`{"aud":"a"}`, `{"aud":["a","b"]}`, `{"aud":[]}`, `{"aud":["a",null]}`, `{"aud":["a",1]}`, `{"aud":"a","aud":null}`,
	`{"aud":"a","aud":[]}`, `{"aud":5}`, `{"aud":{}}`, `{"AUD":["x"]}`,
	`{"exp":1700000000}`, `{"exp":1.7e9}`, `{"exp":-1.5}`, `{"exp":"1700000000"}`, `{"exp":"soon"}`, `{"exp":1e400}`,
	`{"exp":null}`, `{"exp":1,"exp":null}`, `{"exp":true}`, `{"exp":[1]}`, `{"nbf":0.999999999,"iat":"-0"}`, `{"EXP":1}`,
	`{"kubernetes.io":null}`, `{"kubernetes.io":"team"}`, `{"kubernetes.io":[]}`, `{"Kubernetes.IO":{"namespace":"a"}}`,
	`{"kubernetes.io":{"namespace":"a","serviceaccount":{"name":"n","uid":"u"},"pod":{"NAME":"p","uid":"q","x":1},"node":null,"secret":{"name":"s","uid":"t"},"warnafter":5}}`,
	`{"kubernetes.io":{"namespace":"a","namespace":"b"}}`, `{"kubernetes.io":{"namespace":5,"namespace":"b"}}`,
	`{"kubernetes.io":{"namespace":null}}`, `{"kubernetes.io":{"Namespace":"a","validatingwebhookconfiguration":{"name":"w","uid":"v"},"attestations":{"a":["b"]}}}`,
	`{"kubernetes.io":{"pod":"p"}}`, `{"kubernetes.io":{"pod":{"name":5}}}`, `{"kubernetes.io":{"attestations":["x"]}}`, `{"kubernetes.io":{"x":1,"x":2}}`,
	`{"kubernetes.io":{"namespace":"a"},"kubernetes.io":{"pod":{"name":"p"}}}`, `{"kubernetes.io":{"namespace":"a"},"kubernetes.io":null}`,
	`{"kubernetes.io/serviceaccount/namespace":"a","kubernetes.io/serviceaccount/secret.name":"s","kubernetes.io/serviceaccount/service-account.name":"n","KUBERNETES.IO/SERVICEACCOUNT/SERVICE-ACCOUNT.UID":"u"}`,
	`{"kubernetes.io/serviceaccount/namespace":{}}`, `{"other":{"iss":"nested"},"iss":"top","list":[{"aud":1}],"s":"\"}"}`,
}

// checkReadPayload holds jwtcheck.ReadClaims with ReadClaim to
// json.Unmarshal on one payload json.Valid accepts: the same error or
// none, and the same claims; and its judgement of the payload to
// jwtcheck.ClaimsProblem's.
func checkReadPayload(t *testing.T, payload string) {
	t.Helper()
	if !json.Valid([]byte(payload)) {
		return
	}
	var want, got serviceAccountClaims
	wantErr := json.Unmarshal([]byte(payload), &want)
	problem, gotErr := jwtcheck.ReadClaims([]byte(payload), &got)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("%s: ReadClaims error %v, json.Unmarshal error %v", payload, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if want := jwtcheck.ClaimsProblem([]byte(payload)); problem != want {
		t.Fatalf("%s: ReadClaims judged %q, ClaimsProblem %q", payload, problem, want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%s: ReadClaims differs from json.Unmarshal (-want +got):\n%s", payload, diff)
	}
}

func TestReadPayloadMatchesJSONUnmarshal(t *testing.T) {
	for _, p := range append(readPayloadSeeds,
		mustJSON(t, tokentest.Claims()), mustJSON(t, tokentest.LegacyClaims())) {
		checkReadPayload(t, p)
	}
}

// TestClaimFieldsInAnyCase holds ReadClaim's switch to claimFields, which
// it folds against: each field, in another case, is read as
// json.Unmarshal reads it.
func TestClaimFieldsInAnyCase(t *testing.T) {
	values := map[string]string{"aud": `["a"]`, "exp": `1`, "nbf": `1`, "iat": `1`, "kubernetes.io": `{"namespace":"a"}`}
	for _, f := range claimFields {
		v, ok := values[f]
		if !ok {
			v = `"x"`
		}
		checkReadPayload(t, `{"`+strings.ToUpper(f)+`":`+v+`}`)
		checkReadPayload(t, `{"`+f+`":`+v+`}`)
	}
	for _, f := range objectFields {
		checkReadPayload(t, `{"kubernetes.io":{"pod":{"`+strings.ToUpper(f)+`":"x"}}}`)
	}
}

func FuzzReadPayload(f *testing.F) {
	for _, p := range append(readPayloadSeeds,
		mustJSON(f, tokentest.Claims()), mustJSON(f, tokentest.LegacyClaims())) {
		f.Add(p)
	}
	f.Fuzz(checkReadPayload)
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
