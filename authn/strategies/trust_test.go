package strategies

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

// testCA is a certificate authority made up for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t testing.TB, name string) testCA {
	t.Helper()
	return issueCert(t, testCA{}, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	})
}

// issueCert signs tmpl with ca, or self-signs it when ca is zero.
func issueCert(t testing.TB, ca testCA, tmpl *x509.Certificate) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	parent, signer := tmpl, key
	if ca.cert != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key}
}

func clientCert(t testing.TB, ca testCA, cn string, dnsNames []string, usages ...x509.ExtKeyUsage) *x509.Certificate {
	t.Helper()
	return issueCert(t, ca, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		DNSNames:    dnsNames,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: usages,
	}).cert
}

func TestTrustClientCertificate(t *testing.T) {
	ca := newTestCA(t, "proxy-ca")
	other := newTestCA(t, "other-ca")
	intermediate := issueCert(t, ca, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "proxy-intermediate"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	trust, err := TrustClientCertificate(roots, "front-proxy", "proxy.example.com")
	if err != nil {
		t.Fatal(err)
	}
	clientAuth := x509.ExtKeyUsageClientAuth
	tests := []struct {
		name  string
		state *tls.ConnectionState // nil: plain HTTP
		want  error
	}{
		{"allowed CN", peers(clientCert(t, ca, "front-proxy", nil, clientAuth)), nil},
		{"allowed DNS SAN", peers(clientCert(t, ca, "whatever", []string{"other.example.com", "proxy.example.com"}, clientAuth)), nil},
		{"through an intermediate", peers(clientCert(t, intermediate, "front-proxy", nil, clientAuth), intermediate.cert), nil},
		{"any EKU", peers(clientCert(t, ca, "front-proxy", nil, x509.ExtKeyUsageAny)), nil},
		{"disallowed name", peers(clientCert(t, ca, "some-client", []string{"client.example.com"}, clientAuth)), errClientCertName},
		{"name only in another field", peers(clientCert(t, ca, "proxy.example.com.evil", nil, clientAuth)), errClientCertName},
		{"untrusted CA", peers(clientCert(t, other, "front-proxy", nil, clientAuth)), errClientCertChain},
		{"intermediate missing", peers(clientCert(t, intermediate, "front-proxy", nil, clientAuth)), errClientCertChain},
		{"server auth only", peers(clientCert(t, ca, "front-proxy", nil, x509.ExtKeyUsageServerAuth)), errClientCertChain},
		{"the CA itself", peers(ca.cert), errClientCertName},
		{"TLS without client certificate", &tls.ConnectionState{}, errNoClientCert},
		{"no TLS", nil, errNoTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.TLS = tt.state
			if got := trust.Verify(r); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func peers(certs ...*x509.Certificate) *tls.ConnectionState {
	return &tls.ConnectionState{PeerCertificates: certs}
}

func TestTrustClientCertificateConfig(t *testing.T) {
	roots := x509.NewCertPool()
	for name, build := range map[string]func() (authn.TrustPolicy, error){
		"nil roots":          func() (authn.TrustPolicy, error) { return TrustClientCertificate(nil, "front-proxy") },
		"no allowed names":   func() (authn.TrustPolicy, error) { return TrustClientCertificate(roots) },
		"empty allowed name": func() (authn.TrustPolicy, error) { return TrustClientCertificate(roots, "front-proxy", "") },
	} {
		if p, err := build(); err == nil || p != nil {
			t.Errorf("%s: got (%v, %v), want an error", name, p, err)
		}
	}
}

func TestTrustPeerCIDRs(t *testing.T) {
	trust, err := TrustPeerCIDRs("10.0.0.0/8", "192.168.1.7/32", "fd00:1234::/32", "::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remoteAddr string
		header     http.Header
		want       error
	}{
		{"10.1.2.3:4567", nil, nil},
		{"192.168.1.7:80", nil, nil},
		{"[fd00:1234::5]:443", nil, nil},
		{"[::ffff:10.9.8.7]:443", nil, nil},  // v4-mapped peer, v4 prefix
		{"172.16.3.4:80", nil, nil},          // v4 peer, prefix written v4-mapped
		{"[::ffff:172.16.3.4]:80", nil, nil}, // both mapped
		{"192.168.1.8:80", nil, errPeerNotInCIDRs},
		{"[fd00:1235::5]:443", nil, errPeerNotInCIDRs},
		{"[::ffff:11.0.0.1]:443", nil, errPeerNotInCIDRs},
		{"[::a00:1]:443", nil, errPeerNotInCIDRs}, // IPv4-compatible, not mapped: not 10.0.0.1
		{"[fd00:1234::5%eth0]:443", nil, errPeerNotInCIDRs},
		{"203.0.113.9:1234", http.Header{
			"X-Forwarded-For": {"10.0.0.1"},
			"X-Real-Ip":       {"10.0.0.1"},
			"Forwarded":       {"for=10.0.0.1"},
		}, errPeerNotInCIDRs},
		{"10.1.2.3", nil, errPeerAddress}, // no port
		{"", nil, errPeerAddress},
		{"@", nil, errPeerAddress}, // unix socket
		{"proxy.local:80", nil, errPeerAddress},
	}
	for _, tt := range tests {
		t.Run(tt.remoteAddr, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remoteAddr
			for k, v := range tt.header {
				r.Header[k] = v
			}
			if got := trust.Verify(r); got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.remoteAddr, got, tt.want)
			}
		})
	}
	if got := trust.StrippedHeaders(); got != nil {
		t.Errorf("StrippedHeaders = %q, want nil", got)
	}
}

func TestTrustPeerCIDRsConfig(t *testing.T) {
	for _, cidrs := range [][]string{nil, {"10.0.0.0/33"}, {"10.0.0.1"}, {"10.0.0.0/8", "nonsense"}, {""},
		// Wider than the widest private ranges: most of the internet.
		{"0.0.0.0/0"}, {"128.0.0.0/1"}, {"10.0.0.0/7"}, {"::/0"}, {"2000::/3"}, {"::ffff:0.0.0.0/96"}, {"::ffff:10.0.0.0/103"},
		{"10.0.0.0/8", "0.0.0.0/0"},
	} {
		if p, err := TrustPeerCIDRs(cidrs...); err == nil || p != nil {
			t.Errorf("TrustPeerCIDRs(%q) = (%v, %v), want an error", cidrs, p, err)
		}
	}
	// The widest private ranges are accepted.
	for _, cidr := range []string{"10.0.0.0/8", "fc00::/7", "::ffff:10.0.0.0/104"} {
		if _, err := TrustPeerCIDRs(cidr); err != nil {
			t.Errorf("TrustPeerCIDRs(%q): %v", cidr, err)
		}
	}
}

func TestTrustSharedSecret(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	trust, err := TrustSharedSecret("x-proxy-secret", secret)
	if err != nil {
		t.Fatal(err)
	}
	secret[0] = 'X' // the policy must have kept its own copy
	const right = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"right", http.Header{"X-Proxy-Secret": {right}}, nil},
		{"wrong", http.Header{"X-Proxy-Secret": {"0123456789abcdef0123456789abcdeX"}}, errSecretWrong},
		{"prefix of the secret", http.Header{"X-Proxy-Secret": {right[:31]}}, errSecretWrong},
		{"longer than the secret", http.Header{"X-Proxy-Secret": {right + "0"}}, errSecretWrong},
		{"empty", http.Header{"X-Proxy-Secret": {""}}, errSecretWrong},
		{"missing", http.Header{}, errSecretMissing},
		{"key without values", http.Header{"X-Proxy-Secret": nil}, errSecretMissing},
		{"duplicated", http.Header{"X-Proxy-Secret": {right, right}}, errSecretRepeated},
		{"under another spelling", http.Header{"X_Proxy_Secret": {right}}, errSecretNonCanonical},
		{"twice, one spelled otherwise", http.Header{"X-Proxy-Secret": {right}, "x-proxy-secret": {right}}, errSecretNonCanonical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header = tt.header
			if got := trust.Verify(r); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	if diff := cmp.Diff([]string{"X-Proxy-Secret"}, trust.StrippedHeaders()); diff != "" {
		t.Errorf("StrippedHeaders (-want +got):\n%s", diff)
	}
}

func TestTrustSharedSecretStrippedAfterUse(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	trust, err := TrustSharedSecret("X-Proxy-Secret", []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Forwarded(trust)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []http.Header{
		{"X-Proxy-Secret": {secret}, "X-Forwarded-User": {"alice"}},  // contributes
		{"X-Proxy-Secret": {secret}},                                 // skips
		{"X-Proxy-Secret": {"wrong"}, "X-Forwarded-User": {"alice"}}, // rejects
		{"X_proxy_secret": {secret}, "x-proxy-secret": {secret}},     // skips
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header = h
		d := s.Authenticate(r, authn.Principal{})
		if len(r.Header) != 0 {
			t.Errorf("after %v: headers left: %v", d.Outcome, r.Header)
		}
		if strings.Contains(d.Reason, secret) {
			t.Errorf("reason %q contains the secret", d.Reason)
		}
	}
}

func TestTrustSharedSecretConfig(t *testing.T) {
	long := bytes.Repeat([]byte("k"), MinSharedSecretLen)
	for name, build := range map[string]func() (authn.TrustPolicy, error){
		"short secret": func() (authn.TrustPolicy, error) {
			return TrustSharedSecret("X-Proxy-Secret", long[:MinSharedSecretLen-1])
		},
		"nil secret":     func() (authn.TrustPolicy, error) { return TrustSharedSecret("X-Proxy-Secret", nil) },
		"empty header":   func() (authn.TrustPolicy, error) { return TrustSharedSecret("", long) },
		"invalid header": func() (authn.TrustPolicy, error) { return TrustSharedSecret("X Proxy Secret", long) },
		"header colon":   func() (authn.TrustPolicy, error) { return TrustSharedSecret("X-Proxy-Secret:", long) },
	} {
		if p, err := build(); err == nil || p != nil {
			t.Errorf("%s: got (%v, %v), want an error", name, p, err)
		}
	}
}

func TestInsecureTrustAnyPeer(t *testing.T) {
	trust := InsecureTrustAnyPeer()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = ""
	if err := trust.Verify(r); err != nil {
		t.Errorf("Verify = %v, want nil", err)
	}
	if got := trust.StrippedHeaders(); got != nil {
		t.Errorf("StrippedHeaders = %q, want nil", got)
	}
}
