package authnmetrics

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authchain/authchain/internal/nilcheck"
)

// KeySetState is what the key-set metrics read of an issuer's key set,
// on each scrape. *jwks.OIDCKeys implements it.
type KeySetState interface {
	// Issuer is the issuer's URL; only its IssuerHash is exported.
	Issuer() string
	// FetchedAt is when the current set was fetched; zero if none was.
	FetchedAt() time.Time
	// KeyIDs are the kids of the current set.
	KeyIDs() []string
}

// IssuerHash returns the issuer_hash label of issuer: the first 16 hex
// digits of the SHA-256 of the URL, so that a dashboard can tell issuers
// apart without the URL becoming a label. To find an issuer's hash:
//
//	printf %s https://issuer.example | sha256sum | cut -c1-16
func IssuerHash(issuer string) string {
	sum := sha256.Sum256([]byte(issuer))
	return hex.EncodeToString(sum[:8])
}

// keySet is a key set being reported, with its issuer's hash computed once.
type keySet struct {
	state KeySetState
	hash  string
}

// KeySet reports k on each scrape: authchain_jwks_last_fetch_timestamp_seconds,
// authchain_jwks_keys and authchain_jwks_key_set_info, whose key_set_hash
// (the first 16 hex digits of the SHA-256 of the sorted kids, one per line,
// without a final newline) changes when the issuer rotates its keys. It
// returns an error if k is nil, its issuer is empty, or a key set of the
// same issuer is reported already.
func (m *Metrics) KeySet(k KeySetState) error {
	if nilcheck.IsNil(k) {
		return errors.New("authnmetrics: KeySet: key set is nil")
	}
	issuer := k.Issuer()
	if issuer == "" {
		return errors.New("authnmetrics: KeySet: issuer is empty")
	}
	hash := IssuerHash(issuer)
	s := m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.keySets {
		if other.hash == hash {
			return fmt.Errorf("authnmetrics: KeySet: issuer_hash %s is reported already", hash)
		}
	}
	s.keySets = append(s.keySets, keySet{state: k, hash: hash})
	return nil
}

func (k keySet) collect(s *stateCollector, ch chan<- prometheus.Metric) {
	fetched := k.state.FetchedAt()
	at := 0.0
	if !fetched.IsZero() {
		at = float64(fetched.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(s.fetched, prometheus.GaugeValue, at, k.hash)
	kids := k.state.KeyIDs()
	ch <- prometheus.MustNewConstMetric(s.keys, prometheus.GaugeValue, float64(len(kids)), k.hash)
	if !fetched.IsZero() {
		ch <- prometheus.MustNewConstMetric(s.info, prometheus.GaugeValue, 1, k.hash, keySetHash(kids))
	}
}

// keySetHash is the key_set_hash label: the first 16 hex digits of the
// SHA-256 of the kids, sorted, one per line.
func keySetHash(kids []string) string {
	sorted := slices.Sorted(slices.Values(kids))
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return hex.EncodeToString(sum[:8])
}
