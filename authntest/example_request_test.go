package authntest_test

import (
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

// A header under a spelling Go's server never produces, as a CGI-style
// gateway may pass it on: authn.TakeHeader refuses it, and removes it.
func ExampleWithHeader() {
	r := authntest.NewRequest(authntest.WithHeader("X_Api_Key", "key-1"))
	_, err := authn.TakeHeader(r.Header, "X-Api-Key", 256)
	fmt.Println(err)
	fmt.Println(len(r.Header))
	// Output:
	// X-Api-Key header was sent under a non-canonical name
	// 0
}

func ExampleWithPeer() {
	r := authntest.NewRequest(authntest.WithPeer("[2001:db8::1]:443"))
	fmt.Println(r.RemoteAddr)
	// Output: [2001:db8::1]:443
}

func ExampleWithBearer() {
	r := authntest.NewRequest(authntest.WithBearer("first"), authntest.WithBearer("second"))
	fmt.Println(r.Header["Authorization"])
	// Output: [Bearer second]
}

func ExampleWithTLS() {
	inTest(func(t testing.TB) {
		ca := authntest.NewCA(t, "proxy CA")
		r := authntest.NewRequest(authntest.WithTLS(ca.ClientState(t, authntest.ClientCert{
			CommonName: "proxy", DNSNames: []string{"proxy.example"}, URIs: []string{"spiffe://example/proxy"},
		})))
		leaf := r.TLS.PeerCertificates[0]
		fmt.Println(leaf.Subject.CommonName, leaf.DNSNames, leaf.URIs[0], leaf.Issuer.CommonName)
	})
	// Output: proxy [proxy.example] spiffe://example/proxy proxy CA
}

func ExampleNewCA() {
	inTest(func(t testing.TB) {
		ca := authntest.NewCA(t, "proxy CA")
		cert := ca.Certificate()
		fmt.Println(cert.Subject.CommonName, cert.IsCA, time.Until(cert.NotAfter) <= time.Hour)
	})
	// Output: proxy CA true true
}

// The roots a client-certificate trust policy verifies against hold this
// CA alone.
func ExampleCA_Pool() {
	inTest(func(t testing.TB) {
		ca, other := authntest.NewCA(t, "proxy CA"), authntest.NewCA(t, "other CA")
		pool := ca.Pool()
		for _, c := range []*authntest.CA{ca, other} {
			_, err := c.Certificate().Verify(x509.VerifyOptions{Roots: pool})
			fmt.Println(c.Certificate().Subject.CommonName, err == nil)
		}
	})
	// Output:
	// proxy CA true
	// other CA false
}

// A configuration file names the CA by a PEM file.
func ExampleCA_PEM() {
	inTest(func(t testing.TB) {
		ca := authntest.NewCA(t, "proxy CA")
		pool := x509.NewCertPool()
		fmt.Println(pool.AppendCertsFromPEM(ca.PEM()))
		_, err := ca.Certificate().Verify(x509.VerifyOptions{Roots: pool})
		fmt.Println(err == nil)
	})
	// Output:
	// true
	// true
}

func ExampleCA_Certificate() {
	inTest(func(t testing.TB) {
		fmt.Println(authntest.NewCA(t, "proxy CA").Certificate().Subject)
	})
	// Output: CN=proxy CA
}

// Functions for the request sections of golden cases.
func ExampleWithRequestFuncs() {
	test := func(t *testing.T, build func(testing.TB, authntest.GoldenCase) authn.Authenticator) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		iss := authntest.NewIssuer(t, "https://issuer.example")
		authntest.Golden(t, "testdata/*.txtar", build, authntest.WithRequestFuncs(iss.TemplateFuncs(now)))
	}
	_ = test
}

// Tokens the chain leaves for the handler are minted afresh each run:
// want.json records "<token>" for them.
func ExampleWithRedactedHeaders() {
	test := func(t *testing.T, build func(testing.TB, authntest.GoldenCase) authn.Authenticator) {
		authntest.Golden(t, "testdata/*.txtar", build, authntest.WithRedactedHeaders("X-Forwarded-Access-Token"))
	}
	_ = test
}

// The update switch comes from the caller's own flag:
//
//	var update = flag.Bool("update", false, "rewrite want.json")
func ExampleWithUpdate() {
	test := func(t *testing.T, update bool, build func(testing.TB, authntest.GoldenCase) authn.Authenticator) {
		authntest.Golden(t, "testdata/*.txtar", build, authntest.WithUpdate(update))
	}
	_ = test
}
