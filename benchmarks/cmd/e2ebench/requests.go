package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/authchain/authchain/authn/bearer/jwks"
)

// benchCluster is the in-memory cluster of the authenticated server: a key
// with a creator, a key without one, and a ServiceAccount that is no key.
const benchCluster = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key-alice
  namespace: demo
  uid: 6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001
  labels: {app: ambient-access-key}
  annotations: {ambient-code.io/created-by-user-id: alice@example.com}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: key-no-creator
  namespace: demo
  uid: 6f1c2a5e-0d7b-4a53-9a51-2b3908aa0002
  labels: {app: ambient-access-key}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ci-bot
  namespace: demo
  uid: 6f1c2a5e-0d7b-4a53-9a51-2b3908aa0004
  annotations: {ambient-code.io/created-by-user-id: admin@example.com}
`

// The bench issuer stands in for kube-apiserver's token signer. Its key is
// derived from a public seed so that the load generator and the server
// agree on it without passing anything; only this program trusts it.
const (
	issuerSeed = "authchain e2ebench issuer: a public seed, never a secret"
	issuerURL  = "https://e2ebench-issuer.authchain.invalid"
	audience   = "authchain-e2ebench"
)

type issuer struct {
	key  *ecdsa.PrivateKey
	kid  string
	keys jwks.KeySet
}

func newIssuer() (*issuer, error) {
	scalar := sha256.Sum256([]byte(issuerSeed))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:])
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	keys, err := jwks.Static(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		return nil, err
	}
	// The kid kube-apiserver gives a key, which jwks.Static expects of a
	// PEM key.
	sum := sha256.Sum256(der)
	return &issuer{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:]), keys: keys}, nil
}

// token mints an ES256 token for demo/name, valid for an hour, with the
// claims kube-apiserver writes for an unbound token.
func (iss *issuer) token(name, uid string) (string, error) {
	now := time.Now()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss": issuerURL,
		"sub": "system:serviceaccount:demo:" + name,
		"aud": []string{audience},
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"jti": "e2ebench-" + name,
		"kubernetes.io": map[string]any{
			"namespace":      "demo",
			"serviceaccount": map[string]any{"name": name, "uid": uid},
		},
	})
	tok.Header["kid"] = iss.kid
	return tok.SignedString(iss.key)
}

// A requestCase is one kind of request of the mixed set and what the
// authenticated server must answer: a status, and for 200 the body
// echoPrincipal writes for the expected Principal.
type requestCase struct {
	name   string
	weight int
	header http.Header
	status int
	body   string
}

func principalBody(user, actor string, synthetic bool) string {
	return fmt.Sprintf("user=%s\nactor=%s\nsynthetic=%t\n", user, actor, synthetic)
}

// requestCases is the mixed request set: mostly humans through the proxy,
// then keys with tokens, and the requests a deployment must refuse.
func requestCases() ([]requestCase, error) {
	iss, err := newIssuer()
	if err != nil {
		return nil, err
	}
	alice, err := iss.token("key-alice", "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001")
	if err != nil {
		return nil, err
	}
	noCreator, err := iss.token("key-no-creator", "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0002")
	if err != nil {
		return nil, err
	}
	ciBot, err := iss.token("ci-bot", "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0004")
	if err != nil {
		return nil, err
	}
	badSig := flipSignature(alice)
	const aliceKey, bareKey = "system:serviceaccount:demo:key-alice", "system:serviceaccount:demo:key-no-creator"
	human := http.Header{"X-Forwarded-User": {"alice"}, "X-Forwarded-Email": {"alice@example.com"}, "X-Forwarded-Groups": {"dev,ops"}}
	withForged := human.Clone()
	withForged["X-Remote-User"] = []string{"mallory"}
	withForged["Impersonate-User"] = []string{"admin"}
	aliceOK := principalBody("alice", "", false)
	return []requestCase{
		{name: "human", weight: 8, header: human, status: 200, body: aliceOK},
		{name: "human with forged identity headers", weight: 1, header: withForged, status: 200, body: aliceOK},
		{name: "annotated key, subject and token", weight: 3, status: 200,
			header: http.Header{"X-Forwarded-User": {aliceKey}, "Authorization": {"Bearer " + alice}},
			body:   principalBody("alice@example.com", "demo/key-alice", false)},
		{name: "annotated key, token alone", weight: 1, status: 200,
			header: http.Header{"Authorization": {"Bearer " + alice}},
			body:   principalBody("alice@example.com", "demo/key-alice", false)},
		{name: "key without a creator", weight: 2, status: 200,
			header: http.Header{"X-Forwarded-User": {bareKey}, "Authorization": {"Bearer " + noCreator}},
			body:   principalBody("system-serviceaccount-demo-key-no-creator", "demo/key-no-creator", true)},
		{name: "spoof: key subject without a token", weight: 1, status: 401,
			header: http.Header{"X-Forwarded-User": {aliceKey}}},
		{name: "spoof: key subject with another key's token", weight: 1, status: 401,
			header: http.Header{"X-Forwarded-User": {aliceKey}, "Authorization": {"Bearer " + noCreator}}},
		{name: "spoof: creator annotation on a ServiceAccount that is no key", weight: 1, status: 401,
			header: http.Header{"Authorization": {"Bearer " + ciBot}}},
		{name: "bad token: signature", weight: 1, status: 401,
			header: http.Header{"X-Forwarded-User": {aliceKey}, "Authorization": {"Bearer " + badSig}}},
		{name: "bad token: not a JWT", weight: 1, status: 401,
			header: http.Header{"Authorization": {"Bearer not-a-token"}}},
	}, nil
}

// targets expands the cases by weight into vegeta targets; each case has
// its own query string so a result names the case it answers.
func targets(base string, cases []requestCase) []vegeta.Target {
	var out []vegeta.Target
	for i, c := range cases {
		for range c.weight {
			out = append(out, vegeta.Target{Method: http.MethodGet, URL: fmt.Sprintf("%s/whoami?case=%d", base, i), Header: c.header})
		}
	}
	return out
}

// caseOf returns the case index a result's URL names.
func caseOf(url string) (int, bool) {
	_, q, ok := strings.Cut(url, "?case=")
	if !ok {
		return 0, false
	}
	var i int
	if _, err := fmt.Sscanf(q, "%d", &i); err != nil {
		return 0, false
	}
	return i, true
}

// wrong reports why a result is not what case c expects of mode's server,
// or "" if it is. (vegeta also sets Error for a non-2xx status, so only a
// result without a status is a transport error.) Without authentication every request is a 200 with an
// empty Principal.
func wrong(mode string, c requestCase, res *vegeta.Result) string {
	status, body := c.status, c.body
	if mode == modeNone {
		status, body = 200, principalBody("", "", false)
	}
	switch {
	case res.Code == 0:
		return "transport error: " + res.Error
	case int(res.Code) != status:
		return fmt.Sprintf("status %d, want %d", res.Code, status)
	case status == 200 && !bytes.Equal(res.Body, []byte(body)):
		return fmt.Sprintf("body %q, want %q", res.Body, body)
	}
	return ""
}

// flipSignature changes one character in the middle of token's signature:
// a well-formed token of the configured issuer whose signature does not
// verify. (The middle, since the last character's low bits may be unused.)
func flipSignature(token string) string {
	i := strings.LastIndexByte(token, '.') + 10
	b := []byte(token)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
