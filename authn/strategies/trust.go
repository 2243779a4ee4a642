package strategies

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"

	"github.com/authchain/authchain/authn"
)

// The reasons a policy refuses a request. Fixed values, so that a refusal
// allocates nothing and never echoes what the client sent.
var (
	errNoTLS              = errors.New("connection is not TLS")
	errNoClientCert       = errors.New("no client certificate")
	errClientCertChain    = errors.New("client certificate not issued for client auth by a trusted CA")
	errClientCertName     = errors.New("client certificate name not allowed")
	errPeerAddress        = errors.New("peer address unparseable")
	errPeerNotInCIDRs     = errors.New("peer address not in a trusted range")
	errSecretMissing      = errors.New("proxy secret header missing")
	errSecretRepeated     = errors.New("proxy secret header repeated")
	errSecretNonCanonical = errors.New("proxy secret header sent under a non-canonical name")
	errSecretWrong        = errors.New("proxy secret mismatch")
)

// TrustClientCertificate trusts a request only if its TLS connection carries
// a client certificate that verifies against roots for client
// authentication (the other peer certificates serve as intermediates) and
// whose Subject CommonName or one of whose DNS SANs is in allowedNames, as
// the Kubernetes front-proxy authenticator does.
//
// At least one allowed name is required: a CA alone is often shared with
// other clients, which must not be able to assert identities.
func TrustClientCertificate(roots *x509.CertPool, allowedNames ...string) (authn.TrustPolicy, error) {
	if roots == nil {
		return nil, errors.New("strategies: TrustClientCertificate needs a CA pool")
	}
	if len(allowedNames) == 0 {
		return nil, errors.New("strategies: TrustClientCertificate needs at least one allowed name; a CA alone is often shared")
	}
	for _, n := range allowedNames {
		if n == "" {
			return nil, errors.New("strategies: TrustClientCertificate: empty allowed name")
		}
	}
	return &clientCertTrust{roots: roots, allowed: slices.Clone(allowedNames)}, nil
}

type clientCertTrust struct {
	roots   *x509.CertPool
	allowed []string
}

func (t *clientCertTrust) Verify(r *http.Request) error {
	if r.TLS == nil {
		return errNoTLS
	}
	certs := r.TLS.PeerCertificates
	if len(certs) == 0 {
		return errNoClientCert
	}
	// Verified again with our roots: the server's ClientCAs may admit
	// clients that are not proxies.
	opts := x509.VerifyOptions{
		Roots:     t.roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if len(certs) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	leaf := certs[0]
	if _, err := leaf.Verify(opts); err != nil {
		return errClientCertChain
	}
	if slices.Contains(t.allowed, leaf.Subject.CommonName) {
		return nil
	}
	for _, n := range leaf.DNSNames {
		if slices.Contains(t.allowed, n) {
			return nil
		}
	}
	return errClientCertName
}

func (*clientCertTrust) StrippedHeaders() []string { return nil }

// The widest prefixes TrustPeerCIDRs accepts: 10.0.0.0/8 and the IPv6
// unique local fc00::/7, the widest private ranges, are allowed.
const (
	MinPeerPrefixBits4 = 8
	MinPeerPrefixBits6 = 7
)

// TrustPeerCIDRs trusts a request whose connection peer, r.RemoteAddr, lies
// in one of cidrs (IPv4-mapped IPv6 peers are compared as IPv4). It never
// reads X-Forwarded-For, X-Real-IP or any other header, and an unparseable
// RemoteAddr is untrusted.
//
// It must run before any RealIP-style middleware that rewrites RemoteAddr
// from headers; otherwise a client can claim a trusted address.
//
// A prefix wider than MinPeerPrefixBits4 (IPv4, or IPv4-mapped) or
// MinPeerPrefixBits6 (IPv6) is refused: 0.0.0.0/0, ::ffff:0.0.0.0/96 or
// 2000::/3 trust most of the internet, which is InsecureTrustAnyPeer under
// another name.
func TrustPeerCIDRs(cidrs ...string) (authn.TrustPolicy, error) {
	if len(cidrs) == 0 {
		return nil, errors.New("strategies: TrustPeerCIDRs needs at least one CIDR")
	}
	t := &peerCIDRTrust{prefixes: make([]netip.Prefix, 0, len(cidrs))}
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("strategies: TrustPeerCIDRs: %w", err)
		}
		// Peers are unmapped before matching, so a mapped prefix
		// (::ffff:10.0.0.0/104) must be written as the IPv4 one to match.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		floor := MinPeerPrefixBits6
		if p.Addr().Is4() {
			floor = MinPeerPrefixBits4
		}
		if p.Bits() < floor {
			return nil, fmt.Errorf("strategies: TrustPeerCIDRs: %s is wider than /%d: it trusts most of the internet", c, floor)
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	return t, nil
}

type peerCIDRTrust struct {
	prefixes []netip.Prefix
}

func (t *peerCIDRTrust) Verify(r *http.Request) error {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return errPeerAddress
	}
	addr := ap.Addr().Unmap()
	for _, p := range t.prefixes {
		if p.Contains(addr) {
			return nil
		}
	}
	return errPeerNotInCIDRs
}

func (*peerCIDRTrust) StrippedHeaders() []string { return nil }

// MinSharedSecretLen is the shortest secret TrustSharedSecret accepts: 32
// bytes, the output of a random 256-bit generator.
const MinSharedSecretLen = 32

// TrustSharedSecret trusts a request that carries secret, exactly once, in
// header. The comparison is constant-time and leaks neither the secret nor
// its length. The header is listed in StrippedHeaders, so the forwarded
// strategy removes it (in every spelling) before the request goes on.
//
// A shared secret proves only that the sender knows it; prefer
// TrustClientCertificate where the proxy can present one.
func TrustSharedSecret(header string, secret []byte) (authn.TrustPolicy, error) {
	if !authn.ValidHeaderName(header) {
		return nil, fmt.Errorf("strategies: TrustSharedSecret: invalid header name %q", header)
	}
	if len(secret) < MinSharedSecretLen {
		return nil, fmt.Errorf("strategies: TrustSharedSecret: secret must be at least %d bytes", MinSharedSecretLen)
	}
	return &sharedSecretTrust{header: http.CanonicalHeaderKey(header), sum: sha256.Sum256(secret)}, nil
}

type sharedSecretTrust struct {
	header string
	// sum is the SHA-256 of the secret: comparing digests of equal length
	// keeps the secret's length out of the timing.
	sum [sha256.Size]byte
}

func (t *sharedSecretTrust) Verify(r *http.Request) error {
	var value string
	n := 0
	for k, vs := range r.Header {
		if !authn.HeaderNameEqual(k, t.header) {
			continue
		}
		if k != t.header {
			return errSecretNonCanonical
		}
		n += len(vs)
		if len(vs) > 0 {
			value = vs[0]
		}
	}
	switch {
	case n == 0:
		return errSecretMissing
	case n > 1:
		return errSecretRepeated
	}
	got := sha256.Sum256([]byte(value))
	if subtle.ConstantTimeCompare(got[:], t.sum[:]) != 1 {
		return errSecretWrong
	}
	return nil
}

func (t *sharedSecretTrust) StrippedHeaders() []string { return []string{t.header} }

// InsecureTrustAnyPeer trusts every request, so anyone who can reach the
// server can claim any identity. It exists for tests and local development;
// never use it in production.
func InsecureTrustAnyPeer() authn.TrustPolicy { return anyPeerTrust{} }

type anyPeerTrust struct{}

func (anyPeerTrust) Verify(*http.Request) error { return nil }
func (anyPeerTrust) StrippedHeaders() []string  { return nil }
