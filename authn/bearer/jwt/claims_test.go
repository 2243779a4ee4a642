package jwt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestClaimsCheck: the check sees the verified payload of a token that
// passed every other check, decoded from JSON, and only such a token; its
// error rejects with the error's message.
func TestClaimsCheck(t *testing.T) {
	var seen []map[string]any
	check := func(claims map[string]any) error {
		seen = append(seen, claims)
		if claims["team"] != "a" {
			return errors.New("token is not team a's")
		}
		return nil
	}
	for _, ttl := range []string{"cached", "uncached"} {
		t.Run(ttl, func(t *testing.T) {
			opts := []jwt.Option{jwt.WithClaimsCheck(check)}
			if ttl == "uncached" {
				opts = append(opts, jwt.WithCacheTTL(0))
			}
			s := newJWT(t, jwtStaticKeys(t), opts...)
			ignore := cmpopts.IgnoreFields(authn.Decision{}, "Cause")
			seen = nil

			good := tokentest.RSA(t, tokentest.Claims(tokentest.Set("team", "a")))
			if diff := cmp.Diff(tokentest.Verified(), tokentest.Authenticate(s, good), ignore); diff != "" {
				t.Errorf("passing token (-want +got):\n%s", diff)
			}
			if len(seen) != 1 {
				t.Fatalf("check ran %d times, want 1", len(seen))
			}
			k8s, _ := seen[0]["kubernetes.io"].(map[string]any)
			if seen[0]["iss"] != tokentest.Issuer || seen[0]["exp"] == nil || k8s["namespace"] == nil {
				t.Errorf("check saw %v, want the whole payload", seen[0])
			}
			if _, ok := seen[0]["exp"].(float64); !ok {
				t.Errorf("exp is %T, want a JSON number as float64", seen[0]["exp"])
			}

			bad := tokentest.RSA(t, tokentest.Claims(tokentest.Set("team", "b")))
			d := tokentest.Authenticate(s, bad)
			if diff := cmp.Diff(authn.Reject("token is not team a's"), d, ignore); diff != "" {
				t.Errorf("failing token (-want +got):\n%s", diff)
			}
			// The same token again: with the cache its rejection is
			// remembered (jwtcheck.RejectionTTL) and the check does not run;
			// without it the token is judged again. Either way it is refused.
			if diff := cmp.Diff(authn.Reject("token is not team a's"), tokentest.Authenticate(s, bad), ignore); diff != "" {
				t.Errorf("failing token again (-want +got):\n%s", diff)
			}
			want := 3
			if ttl == "cached" {
				want = 2
			}
			if len(seen) != want {
				t.Errorf("check ran %d times, want %d", len(seen), want)
			}

			// A token another check refuses never reaches it.
			before := len(seen)
			for _, tok := range []string{
				tokentest.RSA(t, tokentest.Claims(tokentest.Set("team", "a"), tokentest.Set("aud", []string{"other"}))),
				// Claims edited after signing: the signature fails first.
				tokentest.Tamper(t, bad, func(payload string) string { return strings.Replace(payload, `"team":"b"`, `"team":"a"`, 1) }),
			} {
				if d := tokentest.Authenticate(s, tok); d.Outcome != authn.Rejected {
					t.Errorf("bad token: %v, want rejected", d.Outcome)
				}
			}
			if n := len(seen) - before; n != 0 {
				t.Errorf("check ran %d times for tokens refused before it; want none", n)
			}
		})
	}
}

func TestClaimsCheckNil(t *testing.T) {
	_, err := jwt.ServiceAccount(tokentest.Issuer, jwtStaticKeys(t), jwt.WithAudiences(tokentest.Audience), jwt.WithClaimsCheck(nil))
	if err == nil {
		t.Fatal("WithClaimsCheck(nil) accepted")
	}
}
