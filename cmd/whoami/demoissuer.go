package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/setup"
)

// The demo issuer stands in for kube-apiserver's ServiceAccount token
// signer in demo mode, so that keys resolve to their humans with token
// proof on, as in production. Its signing key is derived from
// demoIssuerSeed, which is public: anyone can mint demo tokens, and only
// whoami's demo mode trusts them.
const (
	demoIssuerSeed   = "authchain whoami demo issuer: a public seed, never a secret"
	demoIssuerURL    = "https://demo-issuer.authchain.invalid"
	demoAudience     = "authchain-demo"
	demoTokenExpires = time.Hour
)

// demoIssuer signs ES256 ServiceAccount tokens for the ServiceAccounts of
// the demo cluster.
type demoIssuer struct {
	key *ecdsa.PrivateKey
	kid string
	// publicKey is the PEM of the public key; keys verify with it.
	publicKey []byte
	keys      jwks.KeySet
	// accounts are the demo cluster's ServiceAccounts by name, names
	// their names in order.
	accounts map[string]authn.ServiceAccount
	names    []string
}

func newDemoIssuer(cluster []byte) (*demoIssuer, error) {
	// The P-256 scalar is the SHA-256 of the seed; ParseRawPrivateKey
	// refuses it if it is not below the curve order.
	scalar := sha256.Sum256([]byte(demoIssuerSeed))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:])
	if err != nil {
		return nil, fmt.Errorf("demo issuer key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	public := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	keys, err := jwks.Static(public)
	if err != nil {
		return nil, err
	}
	// The kid kube-apiserver gives a key, which jwks.Static expects of a
	// PEM key.
	sum := sha256.Sum256(der)
	d := &demoIssuer{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:]), publicKey: public, keys: keys,
		accounts: map[string]authn.ServiceAccount{}}
	sas, err := setup.LoadServiceAccounts(bytes.NewReader(cluster))
	if err != nil {
		return nil, err
	}
	for _, sa := range sas {
		d.accounts[sa.Name] = authn.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID)}
		d.names = append(d.names, sa.Name)
	}
	sort.Strings(d.names)
	return d, nil
}

// token mints a token for the demo ServiceAccount name, valid from now for
// demoTokenExpires, with the claims kube-apiserver's TokenRequest API
// writes for an unbound token.
func (d *demoIssuer) token(name string, now time.Time) (string, error) {
	sa, ok := d.accounts[name]
	if !ok {
		return "", fmt.Errorf("no demo ServiceAccount %q (have %s)", name, strings.Join(d.names, ", "))
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	tok := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{
		"iss": demoIssuerURL,
		"sub": sa.Subject(),
		"aud": []string{demoAudience},
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(demoTokenExpires).Unix(),
		"jti": hex.EncodeToString(jti),
		"kubernetes.io": map[string]any{
			"namespace":      sa.Namespace,
			"serviceaccount": map[string]any{"name": sa.Name, "uid": sa.UID},
		},
	})
	tok.Header["kid"] = d.kid
	return tok.SignedString(d.key)
}

// printDemoTokens prints a token for each demo ServiceAccount and a curl
// command that uses one against the server at addr.
func printDemoTokens(w io.Writer, d *demoIssuer, addr string, now time.Time) error {
	fmt.Fprintf(w, "Demo tokens (issuer %s, audience %s), valid until %s:\n",
		demoIssuerURL, demoAudience, now.Add(demoTokenExpires).Format(time.RFC3339))
	for _, name := range d.names {
		token, err := d.token(name, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s %s\n", name, token)
	}
	const key = "ambient-key-alice-write"
	fmt.Fprintf(w, "Try:\n  curl -H \"Authorization: Bearer $(go run ./cmd/whoami -demo-token %s)\" \\\n"+
		"    -H 'X-Forwarded-User: %s' http://%s/whoami\n", key, d.accounts[key].Subject(), addr)
	return nil
}
