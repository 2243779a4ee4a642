package signed_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/signed"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestConstructorsRefuse: every setting without which a strategy would be
// unsafe, and every option a vendor does not take, fails construction.
func TestConstructorsRefuse(t *testing.T) {
	keys := staticKeys(t)
	target := signed.ALBTarget{LoadBalancerARN: albARN, Issuer: albIssuer, ClientID: albClient}
	for name, build := range map[string]func() (*signed.Strategy, error){
		"pomerium without route": func() (*signed.Strategy, error) { return signed.Pomerium(keys, "") },
		"pomerium nil keys":      func() (*signed.Strategy, error) { return signed.Pomerium(nil, route) },
		"pomerium HS256":         func() (*signed.Strategy, error) { return signed.Pomerium(keys, route, signed.WithAlgorithms("HS256")) },
		"pomerium none":          func() (*signed.Strategy, error) { return signed.Pomerium(keys, route, signed.WithAlgorithms("none")) },
		"pomerium traits":        func() (*signed.Strategy, error) { return signed.Pomerium(keys, route, signed.WithTraits("logins")) },
		"iap bad audience":       func() (*signed.Strategy, error) { return signed.IAP(keys, "my-service") },
		"iap algorithms":         func() (*signed.Strategy, error) { return signed.IAP(keys, iapAudience, signed.WithAlgorithms("RS256")) },
		"iap user claim":         func() (*signed.Strategy, error) { return signed.IAP(keys, iapAudience, signed.WithUserClaim("sub")) },
		"iap skew too large": func() (*signed.Strategy, error) {
			return signed.IAP(keys, iapAudience, signed.WithClockSkew(time.Hour))
		},
		"alb bad ARN": func() (*signed.Strategy, error) {
			t2 := target
			t2.LoadBalancerARN = "web"
			return signed.ALB(keys, t2)
		},
		"alb no client":            func() (*signed.Strategy, error) { t2 := target; t2.ClientID = ""; return signed.ALB(keys, t2) },
		"alb no issuer":            func() (*signed.Strategy, error) { t2 := target; t2.Issuer = ""; return signed.ALB(keys, t2) },
		"alb algorithms":           func() (*signed.Strategy, error) { return signed.ALB(keys, target, signed.WithAlgorithms("ES384")) },
		"teleport without cluster": func() (*signed.Strategy, error) { return signed.Teleport(keys, "", appURI) },
		"teleport without app":     func() (*signed.Strategy, error) { return signed.Teleport(keys, cluster, "") },
		"teleport issuers": func() (*signed.Strategy, error) {
			return signed.Teleport(keys, cluster, appURI, signed.WithIssuers("x"))
		},
		"teleport nil option":        func() (*signed.Strategy, error) { return signed.Teleport(keys, cluster, appURI, nil) },
		"teleport empty trait names": func() (*signed.Strategy, error) { return signed.Teleport(keys, cluster, appURI, signed.WithTraits()) },
	} {
		if s, err := build(); err == nil || s != nil {
			t.Errorf("%s: built", name)
		}
	}
	if err := (&signed.Strategy{}).Validate(); !errors.Is(err, authn.ErrNotBuilt) {
		t.Errorf("zero Strategy: Validate = %v", err)
	}
	if err := (&signed.ALBKeySet{}).Validate(); !errors.Is(err, authn.ErrNotBuilt) {
		t.Errorf("zero ALBKeySet: Validate = %v", err)
	}
}

// TestPomeriumIssuerFormat: with jwt_issuer_format "uri" Pomerium writes
// "https://HOST/" in iss, accepted only when configured.
func TestPomeriumIssuerFormat(t *testing.T) {
	claims := `{"iss":"https://app.example.com/","aud":"app.example.com","email":"alice@example.com","exp":"+1m"}`
	tok, err := mint(t, "ec", `{}`, claims, false)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(signed.PomeriumHeader, tok)
	if d := vendors(t)["pomerium"].Authenticate(r, authn.Principal{}); d.Outcome != authn.NotApplicable {
		t.Errorf("host-only issuer: %v %s", d.Outcome, d.Reason)
	}
	s, err := signed.Pomerium(staticKeys(t), route, signed.WithIssuers("https://app.example.com/"), signed.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Contributed {
		t.Errorf("uri issuer: %v %s", d.Outcome, d.Reason)
	}
}

// TestPrincipalSoFar: an assertion never joins an Actor, must agree with a
// forwarded user, and is ignored beside a verified credential.
func TestPrincipalSoFar(t *testing.T) {
	tok, err := mint(t, "rsa", `{}`, `{"iss":"teleport.example.com","aud":["`+appURI+`"],"username":"alice","exp":"+1m"}`, false)
	if err != nil {
		t.Fatal(err)
	}
	s := vendors(t)["teleport"]
	for name, tt := range map[string]struct {
		sofar authn.Principal
		want  authn.Outcome
	}{
		"actor":           {authn.Principal{Actor: &authn.ServiceAccount{Namespace: "a", Name: "b"}}, authn.Rejected},
		"other user":      {authn.Principal{User: authn.User{Name: "bob"}}, authn.Rejected},
		"same user":       {authn.Principal{User: authn.User{Name: "alice"}}, authn.Contributed},
		"credential seen": {authn.Principal{User: authn.User{Name: "alice"}, Credential: &authn.Credential{Type: "oidc"}}, authn.NotApplicable},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(signed.TeleportHeader, tok)
		if d := s.Authenticate(r, tt.sofar); d.Outcome != tt.want {
			t.Errorf("%s: %v (%s), want %v", name, d.Outcome, d.Reason, tt.want)
		}
	}
}

// TestRepeatedHeader: two copies of the assertion are refused, and the
// strategy leaves the header for the next strategy (the chain strips it).
func TestRepeatedHeader(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header[signed.TeleportHeader] = []string{"a.b.c", "d.e.f"}
	if d := vendors(t)["teleport"].Authenticate(r, authn.Principal{}); d.Outcome != authn.Rejected {
		t.Errorf("repeated: %v", d.Outcome)
	}
	if len(r.Header[signed.TeleportHeader]) != 2 {
		t.Error("the strategy removed the header")
	}
}

// TestTraitBound: a trait with more than MaxTraitValues values is refused.
func TestTraitBound(t *testing.T) {
	logins := `"x"` + strings.Repeat(`,"x"`, signed.MaxTraitValues)
	tok, err := mint(t, "rsa", `{}`, `{"iss":"teleport.example.com","aud":"`+appURI+`","username":"alice","traits":{"logins":[`+logins+`]},"exp":"+1m"}`, false)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(signed.TeleportHeader, tok)
	if d := vendors(t)["teleport"].Authenticate(r, authn.Principal{}); d.Outcome != authn.Rejected {
		t.Errorf("%v %s", d.Outcome, d.Reason)
	}
}

// endpoint answers with status and body, counting requests.
type endpoint struct {
	mu     sync.Mutex
	calls  int
	status int
	body   string
	gate   chan struct{}
}

func (e *endpoint) RoundTrip(r *http.Request) (*http.Response, error) {
	if e.gate != nil {
		<-e.gate
	}
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	return &http.Response{StatusCode: e.status, Body: io.NopCloser(strings.NewReader(e.body)), Request: r}, nil
}

func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

// TestALBKeys: what ALBKeys caches, refuses and reports unavailable.
func TestALBKeys(t *testing.T) {
	ctx := context.Background()
	newKeys := func(e http.RoundTripper) *signed.ALBKeySet {
		k, err := signed.ALBKeys("eu-west-1", signed.WithALBHTTPClient(&http.Client{Transport: e}))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	t.Run("known key fetched once", func(t *testing.T) {
		e := &albEndpoint{}
		k := newKeys(e)
		for range 3 {
			if _, err := k.Key(ctx, albKid); err != nil {
				t.Fatal(err)
			}
		}
		if e.fetched != 1 {
			t.Errorf("fetched %d times", e.fetched)
		}
	})
	t.Run("made-up kids fetched at a bounded rate", func(t *testing.T) {
		e := &endpoint{status: http.StatusNotFound}
		k := newKeys(e)
		unavailable := 0
		for i := range 100 {
			_, err := k.Key(ctx, fmt.Sprintf("00000000-0000-0000-0000-%012d", i))
			switch {
			case errors.Is(err, jwks.ErrKeysUnavailable):
				unavailable++
			case !errors.Is(err, jwks.ErrUnknownKey):
				t.Fatalf("err = %v", err)
			}
		}
		// The burst, and one more per second the loop may have taken.
		if n := e.count(); n < signed.ALBFetchBurst || n > signed.ALBFetchBurst+5 {
			t.Errorf("100 made-up kids fetched %d times; want about %d", n, signed.ALBFetchBurst)
		}
		if unavailable+e.count() != 100 {
			t.Errorf("%d unavailable and %d fetched of 100", unavailable, e.count())
		}
	})
	t.Run("unknown kid cached", func(t *testing.T) {
		e := &endpoint{status: http.StatusNotFound}
		k := newKeys(e)
		for range 3 {
			if _, err := k.Key(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, jwks.ErrUnknownKey) {
				t.Fatalf("err = %v", err)
			}
		}
		if e.count() != 1 {
			t.Errorf("fetched %d times", e.count())
		}
	})
	t.Run("bad kid syntax never fetched", func(t *testing.T) {
		e := &endpoint{status: http.StatusOK}
		k := newKeys(e)
		for _, kid := range []string{"", "a/b", "a?b", "..", strings.Repeat("a", 129)} {
			if _, err := k.Key(ctx, kid); !errors.Is(err, jwks.ErrUnknownKey) {
				t.Errorf("%q: %v", kid, err)
			}
		}
		if e.count() != 0 {
			t.Errorf("fetched %d times", e.count())
		}
	})
	t.Run("server error unavailable and not cached", func(t *testing.T) {
		e := &endpoint{status: http.StatusInternalServerError}
		k := newKeys(e)
		for range 2 {
			if _, err := k.Key(ctx, albKid); !errors.Is(err, jwks.ErrKeysUnavailable) {
				t.Fatalf("err = %v", err)
			}
		}
		if e.count() != 2 {
			t.Errorf("fetched %d times", e.count())
		}
	})
	t.Run("not a P-256 PEM key", func(t *testing.T) {
		for _, body := range []string{"hello", strings.Repeat("A", signed.MaxALBKeyBytes+1), string(tokentest.StaticJWKS(t))} {
			k := newKeys(&endpoint{status: http.StatusOK, body: body})
			if _, err := k.Key(ctx, albKid); !errors.Is(err, jwks.ErrUnknownKey) {
				t.Errorf("err = %v", err)
			}
		}
	})
	t.Run("caller gives up", func(t *testing.T) {
		e := &endpoint{status: http.StatusNotFound, gate: make(chan struct{})}
		defer close(e.gate)
		k := newKeys(e)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := k.Key(cctx, albKid); !errors.Is(err, jwks.ErrKeysUnavailable) {
			t.Errorf("err = %v", err)
		}
	})
}
