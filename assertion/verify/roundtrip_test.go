package verify_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// TestRoundTrip mints in one service's request context, through a
// Transport, and verifies in another service's chain: the downstream's
// Principal is the upstream's, Actor included, with a Credential of the
// assertion that names the upstream token, for a human acting through a
// ServiceAccount, a synthetic user, and a human calling directly.
func TestRoundTrip(t *testing.T) {
	m := newMinter(t, issuer, time.Now)

	downstream := httptest.NewServer(nil)
	defer downstream.Close()
	s, err := verify.New(issuer, m.keys(t), verify.WithAudiences(downstream.URL))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(s)
	if err != nil {
		t.Fatal(err)
	}
	downstream.Config.Handler = chiadapter.Authenticate(chain)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.FromContext(r.Context())
		_ = json.NewEncoder(w).Encode(p)
	}))

	transport, err := assertion.NewTransport(m.signer)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: transport}

	for name, upstream := range map[string]authn.Principal{"human with actor": human(), "synthetic": synthetic(), "no actor": direct()} {
		t.Run(name, func(t *testing.T) {
			up, err := authn.NewChain(authn.StrategyFunc("upstream", func(*http.Request, authn.Principal) authn.Decision {
				return authn.Contribute(upstream, "test")
			}))
			if err != nil {
				t.Fatal(err)
			}
			var seen authn.Principal
			backend := httptest.NewServer(chiadapter.Authenticate(up)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = authn.FromContext(r.Context())
				out, err := http.NewRequestWithContext(r.Context(), http.MethodGet, downstream.URL, nil)
				if err != nil {
					t.Error(err)
					return
				}
				// A careless handler copies what it was sent.
				out.Header = r.Header.Clone()
				out.Header.Set("X-Forwarded-User", "mallory")
				resp, err := client.Do(out)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				w.WriteHeader(resp.StatusCode)
				_, _ = io.Copy(w, resp.Body)
			})))
			defer backend.Close()

			resp, err := http.Get(backend.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var got authn.Principal
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seen, got, cmpopts.IgnoreFields(authn.Principal{}, "Via", "Credential")); diff != "" {
				t.Errorf("downstream Principal differs (-upstream +downstream):\n%s", diff)
			}
			wantCred := &authn.Credential{Type: verify.CredentialType, Issuer: issuer, Audiences: []string{downstream.URL}}
			if seen.Credential != nil {
				wantCred.ID = seen.Credential.ID
			}
			if diff := cmp.Diff(wantCred, got.Credential, cmpopts.IgnoreFields(authn.Credential{}, "ExpiresAt")); diff != "" {
				t.Errorf("credential (-want +got):\n%s", diff)
			}
			if want := []string{verify.Name}; !cmp.Equal(want, got.Via) {
				t.Errorf("via %v, want %v", got.Via, want)
			}
		})
	}
}
