package authchain_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authntest"
)

// goldenNow is the clock of every golden case that verifies tokens, so that
// expiries in want.json do not move.
var goldenNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// goldenClock reads goldenNow.
func goldenClock() time.Time { return goldenNow }

// tokenKeys are the issuer's signing keys for golden cases: an RSA key with
// kid "rsa-1", an ECDSA P-256 key with kid "ec-1", and the static key set
// that holds both public keys (jwks, its JWKS). A key the issuer never published, "rsa-2",
// signs tokens that must fail.
type tokenKeys struct {
	rsa, rsaUnpublished *rsa.PrivateKey
	ec                  *ecdsa.PrivateKey
	keySet              jwks.KeySet
	jwks                []byte
}

func newTokenKeys(t *testing.T) tokenKeys {
	t.Helper()
	var k tokenKeys
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.rsaUnpublished, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		{Key: &k.ec.PublicKey, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	k.jwks = set
	if k.keySet, err = jwks.Static(set); err != nil {
		t.Fatal(err)
	}
	return k
}

// The request section of a golden case is a text/template (see
// authntest.Golden) with two functions, so that cases mint their tokens
// from readable claims:
//
//	{{token ALG KID CLAIMS}}  ALG is RS256, ES256, RS256-unpublished (a key
//	                          the issuer never published), none, or
//	                          HS256-confusion (HMAC keyed with the RSA public
//	                          key's PEM); CLAIMS is JSON in which a string
//	                          iat, nbf or exp such as "+1h" is relative to
//	                          goldenNow.
//	{{tamper TOKEN CLAIMS}}   TOKEN with its payload replaced and its
//	                          signature kept.

func (k tokenKeys) mint(alg, kid, claimsJSON string) (string, error) {
	claims, err := goldenClaims(claimsJSON)
	if err != nil {
		return "", err
	}
	var (
		method jwt.SigningMethod
		key    any
	)
	switch alg {
	case "RS256":
		method, key = jwt.SigningMethodRS256, k.rsa
	case "RS256-unpublished":
		method, key = jwt.SigningMethodRS256, k.rsaUnpublished
	case "ES256":
		method, key = jwt.SigningMethodES256, k.ec
	case "none":
		method, key = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
	case "HS256-confusion":
		der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
		if err != nil {
			return "", err
		}
		method, key = jwt.SigningMethodHS256, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	default:
		return "", fmt.Errorf("unknown token algorithm %q", alg)
	}
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	return tok.SignedString(key)
}

// goldenClaims decodes claims, turning relative times into NumericDates.
func goldenClaims(claimsJSON string) (jwt.MapClaims, error) {
	claims, err := authntest.ParseClaims(claimsJSON, goldenNow)
	return jwt.MapClaims(claims), err
}

func tamper(token, claimsJSON string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("tamper: not a JWS")
	}
	claims, err := goldenClaims(claimsJSON)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, "."), nil
}
