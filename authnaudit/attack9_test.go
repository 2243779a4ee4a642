package authnaudit_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authnaudit"
)

// proxySecret is the secret a proxy proves itself with.
const proxySecret = "proxy-shared-secret-0123456789abcdef"

// TestAttack9RequestIDIsTheProxySecret names the chain's shared-secret
// header as the request id header. The option refuses headers "whose
// values are secrets", but only those it knows by name: the proxy's
// secret header, which the chain itself strips, is read before the chain
// runs and recorded in every event.
func TestAttack9RequestIDIsTheProxySecret(t *testing.T) {
	trust, err := strategies.TrustSharedSecret("X-Proxy-Secret", []byte(proxySecret))
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := strategies.Forwarded(trust)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(fwd)
	if err != nil {
		t.Fatal(err)
	}
	var events []authnaudit.Event
	sink := authnaudit.SinkFunc(func(e authnaudit.Event) { events = append(events, e) })
	if _, err := authnaudit.Wrap(chain, sink, authnaudit.WithRequestIDHeader("x-proxy-secret")); err == nil {
		t.Error("Wrap accepted, as the request id, a header the chain strips")
	}
	// An authenticator that strips the header without saying so: the id
	// is read after it ran, so the secret is gone.
	hidden := authn.AuthenticatorFunc(chain.Authenticate)
	a, err := authnaudit.Wrap(hidden, sink, authnaudit.WithRequestIDHeader("X-Proxy-Secret"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Proxy-Secret", proxySecret)
	r.Header.Set("X-Forwarded-User", "alice")
	if _, _, err := a.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(events)
	if len(events) != 1 || strings.Contains(string(b), proxySecret) {
		t.Errorf("want one event without the proxy's shared secret: %s", b)
	}
}

// TestAttack9HostileRequestValues sends control characters and forged
// fields in every value an event reads from the request: the path, the
// user agent and the request id. Each is escaped, dropped or cut; none
// reaches the event raw.
func TestAttack9HostileRequestValues(t *testing.T) {
	var events []authnaudit.Event
	a, err := authnaudit.Wrap(testChain(t), authnaudit.SinkFunc(func(e authnaudit.Event) { events = append(events, e) }))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/a%0Ab%1B%5B31m?token="+tokenSecret, nil)
	r.Header.Set("Authorization", "Bearer human-"+tokenSecret)
	r.Header.Set("User-Agent", "ua\x1b[31m\nforged")
	r.Header.Set("X-Request-Id", "id\r\n\"forged\": 1")
	if _, _, err := a.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	e := events[0]
	for _, v := range []string{e.RequestURI, e.UserAgent, e.Annotations[authnaudit.AnnotationRequestID]} {
		if strings.ContainsAny(v, "\x1b\r\n") {
			t.Errorf("a control character reached the event: %q", v)
		}
	}
	b, _ := json.Marshal(e)
	if strings.Contains(string(b), tokenSecret) {
		t.Errorf("the token reached the event: %s", b)
	}
}
