package strategies_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authchain/authchain/authn/strategies"
)

// The proxy is proven by the address it connects from.
func ExampleTrustPeerCIDRs() {
	trust, err := strategies.TrustPeerCIDRs("10.0.0.0/8", "fd00::/8")
	if err != nil {
		panic(err)
	}
	for _, peer := range []string{"10.1.2.3:41000", "[fd00::7]:41000", "203.0.113.9:41000"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		fmt.Println(peer, trust.Verify(r))
	}
	// Output:
	// 10.1.2.3:41000 <nil>
	// [fd00::7]:41000 <nil>
	// 203.0.113.9:41000 peer address not in a trusted range
}

// The proxy is proven by a client certificate of a CA the service trusts,
// issued to a name on the list (as Kubernetes' front-proxy authenticator
// requires).
func ExampleTrustClientCertificate() {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "front-proxy-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		panic(err)
	}
	issue := func(cn string) *x509.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		return cert
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	trust, err := strategies.TrustClientCertificate(roots, "oauth2-proxy")
	if err != nil {
		panic(err)
	}
	for _, cn := range []string{"oauth2-proxy", "some-other-client"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{issue(cn)}}
		fmt.Println(cn, trust.Verify(r))
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	fmt.Println("plain HTTP", trust.Verify(r))
	// Output:
	// oauth2-proxy <nil>
	// some-other-client client certificate name not allowed
	// plain HTTP connection is not TLS
}

// The proxy is proven by a secret header it adds; the forwarded strategy
// strips that header, in every spelling, before the request goes on.
func ExampleTrustSharedSecret() {
	secret := []byte("a-secret-of-at-least-32-bytes-long!!")
	trust, err := strategies.TrustSharedSecret("X-Proxy-Secret", secret)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Proxy-Secret", string(secret))
	fmt.Println(trust.Verify(r), trust.StrippedHeaders())
	r.Header.Set("X-Proxy-Secret", "guess")
	fmt.Println(trust.Verify(r))
	// Output:
	// <nil> [X-Proxy-Secret]
	// proxy secret mismatch
}

// InsecureTrustAnyPeer believes every request: only for a service no
// client can reach except through the proxy, such as one listening on a
// Unix socket or on localhost inside the proxy's pod.
func ExampleInsecureTrustAnyPeer() {
	trust := strategies.InsecureTrustAnyPeer()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "203.0.113.9:41000"
	fmt.Println(trust.Verify(r))
	// Output: <nil>
}
