package authntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// CA is a throw-away certificate authority for client certificates, so
// that strategies.TrustClientCertificate can be exercised without files.
// Its certificates are valid from an hour ago to an hour from now. It is
// safe for concurrent use.
type CA struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	serial atomic.Int64
}

// NewCA returns a CA with a fresh ECDSA P-256 key whose certificate has
// the common name name. It fails t on error.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	cert := createCert(t, tmpl, tmpl, key, key)
	ca := &CA{cert: cert, key: key}
	ca.serial.Store(1)
	return ca
}

// Certificate returns the CA's certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool returns a new pool holding only the CA's certificate, the roots to
// give strategies.TrustClientCertificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// PEM returns the CA's certificate PEM-encoded, as a configuration file's
// CA file holds it (authnconfig's clientCertificate.caFile).
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// ClientCert describes a client certificate CA.ClientState issues.
type ClientCert struct {
	CommonName string
	DNSNames   []string
	URIs       []string
	// ServerOnly issues a certificate for server authentication only,
	// which a client-certificate trust policy must refuse.
	ServerOnly bool
}

// ClientState issues a certificate for c, signed by the CA, and returns
// the state of a completed TLS handshake that presented it, for WithTLS.
// It fails t on error, such as an invalid URI.
func (ca *CA) ClientState(t testing.TB, c ClientCert) *tls.ConnectionState {
	t.Helper()
	usage := x509.ExtKeyUsageClientAuth
	if c.ServerOnly {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial.Add(1)),
		Subject:      pkix.Name{CommonName: c.CommonName},
		DNSNames:     c.DNSNames,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, s := range c.URIs {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("authntest: client certificate URI: %v", err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	leaf := createCert(t, tmpl, ca.cert, newKey(t), ca.key)
	return &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{leaf}}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("authntest: generating a key: %v", err)
	}
	return key
}

func createCert(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatalf("authntest: creating a certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("authntest: parsing a certificate: %v", err)
	}
	return cert
}
