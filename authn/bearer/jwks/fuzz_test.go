package jwks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Bounds FuzzStatic holds errors to: the parser quotes at most a kid
// (100 bytes) or a PEM type (40), escaped, and wraps short fixed texts.
const (
	maxKeySetErrorLength = 600
	maxKeySetErrorQuote  = 128
)

// keySetSeeds are inputs Static accepts and refuses: JWKS documents
// with RSA, EC and Ed25519 keys, with and without "alg" and "use", PEM
// public keys and certificates, and private keys in both forms.
func keySetSeeds(f *testing.F) [][]byte {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	jwks := func(keys ...jose.JSONWebKey) []byte {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	pkix := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			f.Fatal(err)
		}
		return der
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		f.Fatal(err)
	}
	return [][]byte{
		jwks(jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "rsa", Algorithm: "RS256", Use: "sig"},
			jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "ec"}, jose.JSONWebKey{Key: edPub, KeyID: "ed", Algorithm: "EdDSA"}),
		jwks(jose.JSONWebKey{Key: rsaKey, KeyID: "private"}),
		jwks(jose.JSONWebKey{Key: edKey, KeyID: "private-ed"}),
		jwks(jose.JSONWebKey{Key: []byte("symmetric-secret"), KeyID: "oct"}),
		jwks(jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "enc", Use: "enc"}),
		jwks(jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "dup"}, jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "dup"}),
		jwks(jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: string(bytes.Repeat([]byte("k"), 500))},
			jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: string(bytes.Repeat([]byte("k"), 500))}),
		[]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"x"},{"kty":"EC","crv":"P-256","x":"","y":""}]}`),
		[]byte(`{"keys":null}`),
		[]byte(`{"keys":[1,"a",null,{}]}`),
		[]byte(`{"kid":"` + string(bytes.Repeat([]byte("k"), 500)) + `"}`),
		append(pemOf("PUBLIC KEY", pkix(&rsaKey.PublicKey)), pemOf("PUBLIC KEY", pkix(edPub))...),
		pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)),
		pemOf("CERTIFICATE", selfSignedDER(f, ecKey, nil)),
		// Go's parser quotes a malformed URI name whole in its error.
		pemOf("CERTIFICATE", selfSignedDER(f, ecKey, &url.URL{Scheme: "https", Host: strings.Repeat("a", 2000) + "..b"})),
		pemOf("PRIVATE KEY", privDER),
		pemOf("EC PRIVATE KEY", []byte("junk")),
		pemOf("OPENSSH "+string(bytes.Repeat([]byte("X"), 300)), []byte("x")),
		[]byte("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"),
		[]byte("trailing garbage after nothing"),
		{},
	}
}

// selfSignedDER is a certificate for key, with uri as a subject
// alternative name if not nil.
func selfSignedDER(f *testing.F, key *ecdsa.PrivateKey, uri *url.URL) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "service-account-signer"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1, 0), // long expired: validity is not checked
	}
	if uri != nil {
		tmpl.URIs = []*url.URL{uri}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	return der
}

// FuzzStatic feeds arbitrary data to the JWKS and PEM parser. It
// must never panic; a set it returns holds only public RSA, ECDSA and
// Ed25519 keys, with "alg" only from a JWK; and an error is at most
// maxKeySetErrorLength bytes and quotes no more than maxKeySetErrorQuote
// bytes of the input in one piece.
func FuzzStatic(f *testing.F) {
	for _, seed := range keySetSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := Static(data)
		if err != nil {
			msg := err.Error()
			if len(msg) > maxKeySetErrorLength {
				t.Fatalf("error of %d bytes", len(msg))
			}
			for i := 0; i+maxKeySetErrorQuote <= len(data); i++ {
				if bytes.Contains([]byte(msg), data[i:i+maxKeySetErrorQuote]) {
					t.Fatalf("error quotes %d bytes of the input at offset %d", maxKeySetErrorQuote, i)
				}
			}
			if ks != nil {
				t.Fatal("a key set along with an error")
			}
			return
		}
		set, ok := ks.(staticKeySet)
		if !ok || len(set.keys.byID) == 0 {
			t.Fatalf("key set %T with no keys", ks)
		}
		isPEM := !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
		for kid, k := range set.keys.byID {
			switch k.key.(type) {
			case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			default:
				t.Fatalf("kid %q: key of type %T", kid, k.key)
			}
			if isPEM && k.alg != "" {
				t.Fatalf("kid %q: a PEM key bound to %q", kid, k.alg)
			}
		}
		if len(set.keys.byID) == 1 && set.keys.only.key == nil {
			t.Fatal("a one-key set that a token without kid cannot use")
		}
	})
}
