package main

import (
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
)

// TestAPIKeysConformance runs authchain's suite for strategies on the
// custom API-key strategy: not applicable without a key, every bad key
// refused (never passed on to a later strategy), the header stripped in
// every spelling, no key in any output, safe under concurrency, no
// goroutine left behind.
func TestAPIKeysConformance(t *testing.T) {
	s, err := NewAPIKeys(testKeys)
	if err != nil {
		t.Fatal(err)
	}
	withKey := func(values ...string) []authntest.RequestOption {
		var opts []authntest.RequestOption
		for _, v := range values {
			opts = append(opts, authntest.WithHeader(APIKeyHeader, v))
		}
		return opts
	}
	unknown := strings.Repeat("u", 40)
	authntest.Conformance(t, s, authntest.Config{
		Good: authntest.Credential{Name: "known key", Request: withKey(readKey)},
		Bad: []authntest.Credential{
			{Name: "unknown key", Request: withKey(unknown)},
			{Name: "two keys", Request: withKey(readKey, writeKey)},
			{Name: "over-long key", Request: withKey(strings.Repeat("k", maxKeyLen+1))},
			{Name: "control character", Request: withKey(readKey[:10] + "\x01" + readKey[11:])},
			{Name: "key sent with a forwarded user", Request: withKey(writeKey),
				Sofar: &authn.Principal{User: authn.User{Name: "carol"}}},
		},
		Headers: []string{APIKeyHeader},
		Secrets: []string{readKey, writeKey, unknown},
	})
}

// TestAPIKeysConformanceBehindProxy runs the suite with the strategy where
// the router puts it, after the forwarded-header strategy.
func TestAPIKeysConformanceBehindProxy(t *testing.T) {
	s, err := NewAPIKeys(testKeys)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := strategies.TrustPeerCIDRs("192.0.2.10/32")
	if err != nil {
		t.Fatal(err)
	}
	forwarded, err := strategies.Forwarded(trust)
	if err != nil {
		t.Fatal(err)
	}
	authntest.Conformance(t, s, authntest.Config{
		Before: []authn.Strategy{forwarded},
		Good:   authntest.Credential{Name: "known key", Request: []authntest.RequestOption{authntest.WithHeader(APIKeyHeader, writeKey)}},
		Bad: []authntest.Credential{
			{Name: "key with a forwarded user from the proxy", Request: []authntest.RequestOption{
				authntest.WithPeer("192.0.2.10:4000"), authntest.WithHeader("X-Forwarded-User", "carol"), authntest.WithHeader(APIKeyHeader, writeKey),
			}},
		},
		Headers: []string{APIKeyHeader},
		Secrets: []string{writeKey},
	})
}
