package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
)

// This file is whoami's demo of passing the identity on: GET /assertion
// mints an assertion of the caller's Principal, /.well-known/jwks.json
// publishes the keys, and -accept-assertions-jwks makes another whoami
// believe them.

// minting is whoami's signer and the ring it publishes.
type minting struct {
	ring   *assertion.KeyRing
	signer *assertion.Signer
}

// newMinting signs with the key of -assertion-key-file, or an ephemeral
// ES256 key, as -assertion-issuer, or as http://ADDR of the listener.
func (o options) newMinting(addr string) (*minting, error) {
	var key crypto.Signer
	if o.assertionKeyFile != "" {
		var err error
		if key, err = loadSigningKey(o.assertionKeyFile); err != nil {
			return nil, fmt.Errorf("-assertion-key-file: %w", err)
		}
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	}
	ring, err := assertion.NewKeyRing(key)
	if err != nil {
		return nil, err
	}
	signer, err := assertion.NewSigner(o.ownIssuer(addr), ring)
	if err != nil {
		return nil, fmt.Errorf("-assertion-issuer: %w", err)
	}
	return &minting{ring: ring, signer: signer}, nil
}

// ownIssuer is the issuer whoami mints as, and by default the audience it
// accepts assertions for.
func (o options) ownIssuer(addr string) string {
	if o.assertionIssuer != "" {
		return o.assertionIssuer
	}
	return "http://" + addr
}

// loadSigningKey reads a PEM PKCS #8 private key: ECDSA P-256 or Ed25519.
func loadSigningKey(file string) (crypto.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("want a PEM \"PRIVATE KEY\" (PKCS #8) block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("a %T cannot sign", key)
	}
	return signer, nil
}

// assertionResponse is the body of GET /assertion.
type assertionResponse struct {
	Assertion string `json:"assertion"`
	Header    string `json:"header"`
	Audience  string `json:"audience"`
	Issuer    string `json:"issuer"`
}

// serveAssertion answers GET /assertion?aud=AUD with an assertion of the
// caller's Principal for AUD: 400 for a missing or invalid audience, 401
// without a Principal, 403 for a Principal that itself came from an
// assertion (minting for it would turn an assertion bound to this service
// into one for any audience). It is a demo: a real service mints for the
// services it calls, never for its clients.
func (m *minting) serveAssertion(w http.ResponseWriter, r *http.Request) {
	p, _ := authn.FromContext(r.Context())
	aud := r.URL.Query()["aud"]
	if len(aud) != 1 {
		http.Error(w, "want one aud query parameter", http.StatusBadRequest)
		return
	}
	if c := p.Credential; c != nil && c.Type == verify.CredentialType {
		http.Error(w, "a principal received by assertion is not minted for again", http.StatusForbidden)
		return
	}
	token, err := m.signer.Sign(p, aud[0])
	switch {
	case errors.Is(err, assertion.ErrNoPrincipal):
		http.Error(w, "no authenticated principal", http.StatusUnauthorized)
		return
	case errors.Is(err, assertion.ErrInvalidAudience):
		http.Error(w, "aud must be 1 to 256 bytes of visible ASCII", http.StatusBadRequest)
		return
	case err != nil:
		http.Error(w, "cannot mint an assertion", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(assertionResponse{Assertion: token, Header: assertion.AssertionHeader, Audience: aud[0], Issuer: m.signer.Issuer()})
}

// acceptAssertions returns rest, or, with -accept-assertions-jwks, an
// authenticator that judges a request carrying an assertion by the
// assertion alone and every other request by rest. A FILE is read once, at
// start (jwks.Static). A URL (another whoami's /.well-known/jwks.json) is
// kept current by jwks.URL, which it returns too, for readiness and Close:
// an https URL, or an http URL of this machine. keys is nil otherwise.
func (o options) acceptAssertions(ctx context.Context, addr string, rest authn.Authenticator) (_ authn.Authenticator, keys *jwks.OIDCKeys, _ error) {
	if o.acceptJWKS == "" {
		return rest, nil, nil
	}
	set, keys, err := acceptedKeys(ctx, o.acceptJWKS)
	if err != nil {
		return nil, nil, fmt.Errorf("-accept-assertions-jwks: %w", err)
	}
	audiences := o.acceptAudiences
	if len(audiences) == 0 {
		audiences = []string{o.ownIssuer(addr)}
	}
	s, err := verify.New(o.acceptIssuer, set, verify.WithAudiences(audiences...))
	var chain *authn.Chain
	if err == nil {
		chain, err = authn.NewChain(s)
	}
	if err == nil {
		// The headers rest's token strategies read, which a handler must
		// not see on this path either.
		chain, err = chain.WithStrippedHeaders(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader)
	}
	if err != nil {
		if keys != nil {
			keys.Close()
		}
		return nil, nil, err
	}
	return assertionFirst{assertions: chain, rest: rest}, keys, nil
}

// acceptedKeys returns the key set of -accept-assertions-jwks, and, for a
// URL, the refreshing set it is.
func acceptedKeys(ctx context.Context, from string) (jwks.KeySet, *jwks.OIDCKeys, error) {
	if !strings.HasPrefix(from, "http://") && !strings.HasPrefix(from, "https://") {
		data, err := os.ReadFile(from)
		if err != nil {
			return nil, nil, err
		}
		set, err := jwks.Static(data)
		return set, nil, err
	}
	// A demo runs two whoami on one machine over http; jwks.URL still
	// refuses http to any other host.
	keys, err := jwks.URL(ctx, from, jwks.WithInsecureLoopbackHTTP())
	if err != nil {
		return nil, nil, err
	}
	return keys, keys, nil
}

// assertionFirst sends a request that carries an assertion, under any
// spelling of its header, to the assertion chain, and any other to rest.
// An assertion is never mixed with another credential: one that arrives
// beside a bearer token or an identity header is refused (401), and every
// such header stripped, since the two might name different people.
type assertionFirst struct {
	assertions *authn.Chain
	rest       authn.Authenticator
}

// otherCredentials are the headers that may not come with an assertion.
var otherCredentials = func() authn.HeaderSet {
	s, err := authn.NewHeaderSet(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader)
	if err != nil {
		panic(err) // constants
	}
	return authn.DefaultIdentityHeaders().Union(s)
}()

func (a assertionFirst) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	found, other := false, false
	for k := range r.Header {
		switch {
		case authn.HeaderNameEqual(k, assertion.AssertionHeader):
			found = true
		case otherCredentials.Contains(k):
			other = true
		}
	}
	switch {
	case found && other:
		otherCredentials.Strip(r.Header)
		return authn.Principal{}, nil, &authn.Error{Strategy: "assertion", Kind: authn.ErrRejected, Reason: "assertion beside another credential"}
	case found:
		return a.assertions.Authenticate(r)
	}
	return a.rest.Authenticate(r)
}
