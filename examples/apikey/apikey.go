package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/authchain/authchain/authn"
)

// APIKeyHeader carries a key. The chain strips it, in every spelling
// (X-API-KEY, x_api_key, …), from every request once its strategies ran.
const APIKeyHeader = "X-Api-Key"

// minKeyLen keeps guessable keys out of the table.
const minKeyLen = 32

// maxKeyLen bounds what the strategy reads; longer values are refused.
const maxKeyLen = 256

// Key is what a key was issued for: the human who asked for it, the
// ServiceAccount it acts through, and the role that caps it.
type Key struct {
	Owner     string
	Namespace string
	Name      string
	Role      string
}

// APIKeys authenticates "X-Api-Key: <key>" against a fixed table. It is a
// custom authn.Strategy written with the authoring helpers: authn.TakeHeader
// reads the one value strictly and removes every spelling of the header;
// Headers declares it, so the chain strips it on every outcome too.
type APIKeys struct {
	// byDigest holds the keys by their SHA-256, so that a lookup neither
	// keeps keys in memory nor compares them byte by byte.
	byDigest map[[sha256.Size]byte]Key
}

// NewAPIKeys returns the strategy named "apikey" for keys, which maps each
// key to what it was issued for. A key shorter than 32 bytes, or an owner
// or ServiceAccount name the identity-name rule refuses, is an error; the
// error never quotes a key.
func NewAPIKeys(keys map[string]Key) (*APIKeys, error) {
	s := &APIKeys{byDigest: make(map[[sha256.Size]byte]Key, len(keys))}
	var errs []error
	for key, k := range keys {
		if len(key) < minKeyLen || len(key) > maxKeyLen {
			errs = append(errs, fmt.Errorf("apikey: a key for %q is not %d to %d bytes long", k.Owner, minKeyLen, maxKeyLen))
			continue
		}
		if err := authn.CheckUserName(k.Owner); err != nil {
			errs = append(errs, fmt.Errorf("apikey: owner: %w", err))
		}
		if _, err := authn.ParseServiceAccountSubject(authn.ServiceAccount{Namespace: k.Namespace, Name: k.Name}.Subject()); err != nil {
			errs = append(errs, fmt.Errorf("apikey: %s: %w", k.Owner, err))
		}
		s.byDigest[sha256.Sum256([]byte(key))] = k
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Name returns "apikey".
func (*APIKeys) Name() string { return "apikey" }

// Headers implements authn.HeaderReader.
func (*APIKeys) Headers() []string { return []string{APIKeyHeader} }

// Authenticate implements authn.Strategy. Without the header it does not
// apply. A present key is either accepted or rejected, never passed on:
// repeated, oversized or malformed values, unknown keys, and a key sent
// along with an identity another strategy already established are 401s.
func (s *APIKeys) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	value, err := authn.TakeHeader(r.Header, APIKeyHeader, maxKeyLen)
	switch {
	case err != nil:
		// A *HeaderError names the header and the rule, never the value.
		return authn.Reject("API key header refused").WithDetail(err.Error())
	case value == "":
		return authn.Skip("no API key")
	case !sofar.User.IsZero() || sofar.Actor != nil:
		return authn.Reject("API key sent with another identity")
	}
	k, ok := s.byDigest[sha256.Sum256([]byte(value))]
	if !ok {
		return authn.Reject("unknown API key")
	}
	return authn.Contribute(authn.Principal{
		User:  authn.User{Name: k.Owner},
		Actor: &authn.ServiceAccount{Namespace: k.Namespace, Name: k.Name, Attributes: map[string]string{RoleAttribute: k.Role}},
	}, "API key")
}
