package bearer

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

// peerTrust trusts requests from one RemoteAddr, for token-source tests.
type peerTrust string

func (p peerTrust) Verify(r *http.Request) error {
	if r.RemoteAddr != string(p) {
		return errors.New("untrusted")
	}
	return nil
}
func (peerTrust) StrippedHeaders() []string { return nil }

// headerTrust stands for a policy that reads a request header, such as a
// shared secret.
type headerTrust struct{ peerTrust }

func (headerTrust) StrippedHeaders() []string { return []string{"X-Proxy-Secret"} }

func TestSource(t *testing.T) {
	const proxy = "10.0.0.1:1000"
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
	forwarded, err := AlsoFromForwardedAccessToken(peerTrust(proxy))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AlsoFromForwardedAccessToken(headerTrust{peerTrust(proxy)}); err == nil {
		t.Error("a header-reading trust policy was accepted for X-Forwarded-Access-Token")
	}
	if _, err := AlsoFromForwardedAccessToken(nil); err == nil {
		t.Error("a nil trust policy was accepted")
	}
	tests := []struct {
		name       string
		src        Source
		peer       string
		headers    http.Header
		want       string
		wantReason string
		wantLeft   []string // headers left afterwards, of the two token headers
	}{
		{name: "no token", src: FromAuthorization(), headers: http.Header{}},
		{name: "bearer", src: FromAuthorization(), headers: http.Header{"Authorization": {"Bearer " + tok}}, want: tok, wantLeft: []string{"Authorization"}},
		{name: "scheme is case-insensitive", src: FromAuthorization(), headers: http.Header{"Authorization": {"bEaReR  " + tok}}, want: tok, wantLeft: []string{"Authorization"}},
		{name: "basic is not ours", src: FromAuthorization(), headers: http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}, wantLeft: []string{"Authorization"}},
		{name: "duplicate authorization", src: FromAuthorization(), headers: http.Header{"Authorization": {"Bearer a", "Bearer b"}}, wantReason: "duplicate Authorization header", wantLeft: []string{"Authorization"}},
		{name: "empty bearer", src: FromAuthorization(), headers: http.Header{"Authorization": {"Bearer"}}, wantReason: "bearer token is empty", wantLeft: []string{"Authorization"}},
		{name: "space inside token", src: FromAuthorization(), headers: http.Header{"Authorization": {"Bearer abc def"}}, wantReason: "bearer token is malformed", wantLeft: []string{"Authorization"}},
		{name: "only padding", src: FromAuthorization(), headers: http.Header{"Authorization": {"Bearer =="}}, wantReason: "bearer token is malformed", wantLeft: []string{"Authorization"}},
		{name: "oversized", src: FromAuthorization(), headers: http.Header{"Authorization": {"Bearer " + strings.Repeat("a", MaxLength+1)}}, wantReason: "bearer token is too long", wantLeft: []string{"Authorization"}},
		{
			name: "forwarded access token ignored by default", src: FromAuthorization(), peer: proxy,
			headers:  http.Header{"X-Forwarded-Access-Token": {tok}},
			wantLeft: []string{"X-Forwarded-Access-Token"},
		},
		{
			name: "forwarded access token from the proxy", src: forwarded, peer: proxy,
			headers: http.Header{"X-Forwarded-Access-Token": {tok}}, want: tok,
			wantLeft: []string{"X-Forwarded-Access-Token"},
		},
		{
			name: "forged forwarded access token from a client is dropped unread", src: forwarded, peer: "192.0.2.1:5",
			headers: http.Header{"X-Forwarded-Access-Token": {tok}},
		},
		{
			name: "forged forwarded access token beside a real bearer", src: forwarded, peer: "192.0.2.1:5",
			headers: http.Header{"Authorization": {"Bearer " + tok}, "X-Forwarded-Access-Token": {"forged.token.Value"}}, want: tok,
			wantLeft: []string{"Authorization"},
		},
		{
			name: "same token in both", src: forwarded, peer: proxy,
			headers: http.Header{"Authorization": {"Bearer " + tok}, "X-Forwarded-Access-Token": {tok}}, want: tok,
			wantLeft: []string{"Authorization", "X-Forwarded-Access-Token"},
		},
		{
			name: "different tokens in both", src: forwarded, peer: proxy,
			headers:    http.Header{"Authorization": {"Bearer " + tok}, "X-Forwarded-Access-Token": {"other.token.x"}},
			wantReason: "Authorization and X-Forwarded-Access-Token carry different tokens",
			wantLeft:   []string{"Authorization", "X-Forwarded-Access-Token"},
		},
		{
			name: "forged underscore spelling from a client is dropped too", src: forwarded, peer: "192.0.2.1:5",
			headers: http.Header{"X_forwarded_access_token": {tok}, "X-Forwarded-Access-Token": {tok}},
		},
		{
			name: "underscore spelling from the proxy is refused", src: forwarded, peer: proxy,
			headers:    http.Header{"X_forwarded_access_token": {tok}},
			wantReason: "X-Forwarded-Access-Token header sent under a non-canonical name",
		},
		{
			name: "duplicate forwarded access token", src: forwarded, peer: proxy,
			headers:    http.Header{"X-Forwarded-Access-Token": {tok, tok}},
			wantReason: "duplicate X-Forwarded-Access-Token header",
			wantLeft:   []string{"X-Forwarded-Access-Token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			r.Header = tt.headers
			got, reason := tt.src.Token(r)
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("Token() = %q, %q; want %q, %q", got, reason, tt.want, tt.wantReason)
			}
			if strings.Contains(reason, tok) || strings.Contains(reason, "other.token") {
				t.Errorf("reason %q contains a token", reason)
			}
			// PresentedForCache decides alike, but hands a malformed
			// Authorization token on for Cache.Get to refuse.
			r.Header = tt.headers.Clone()
			want, wantReason := tt.want, tt.wantReason
			if wantReason == "bearer token is malformed" {
				want, wantReason = strings.TrimSpace(strings.SplitN(tt.headers.Get("Authorization"), " ", 2)[1]), ""
			}
			gotCached, d, ok := tt.src.PresentedForCache(r, authn.Principal{})
			if gotCached != want || ok != (want != "") || d.Reason != wantReason && wantReason != "" {
				t.Errorf("PresentedForCache() = %q, %v, %v; want %q, %q", gotCached, d, ok, want, wantReason)
			}
			r.Header = tt.headers
			var left []string
			for _, h := range []string{"Authorization", "X-Forwarded-Access-Token"} {
				if _, ok := r.Header[h]; ok {
					left = append(left, h)
				}
			}
			if diff := cmp.Diff(tt.wantLeft, left); diff != "" {
				t.Errorf("headers left (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBind(t *testing.T) {
	sa := &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "u-1"}
	cred := &authn.Credential{Type: "jwt", ID: "JTI=1"}
	human := authn.User{Name: "alice"}
	tests := []struct {
		name  string
		sofar authn.Principal
		sa    *authn.ServiceAccount
		user  authn.User
		want  authn.Decision
	}{
		{
			name: "token alone proves the actor",
			sa:   sa,
			want: authn.Contribute(authn.Principal{Actor: sa, Credential: cred}, "ok"),
		},
		{
			name:  "forwarded subject that agrees",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key"}},
			sa:    sa,
			want:  authn.Contribute(authn.Principal{Actor: sa, Credential: cred}, "ok"),
		},
		{
			name:  "forwarded subject of another ServiceAccount",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team:other"}},
			sa:    sa,
			want:  authn.Reject("forwarded ServiceAccount does not match the token's ServiceAccount"),
		},
		{
			name:  "forwarded subject in another namespace",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:other:key"}},
			sa:    sa,
			want:  authn.Reject("forwarded ServiceAccount does not match the token's ServiceAccount"),
		},
		{
			name:  "forwarded human with a ServiceAccount token",
			sofar: authn.Principal{User: human},
			sa:    sa,
			want:  authn.Reject("forwarded user does not match the token's ServiceAccount"),
		},
		{
			name:  "earlier actor with the same uid",
			sofar: authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "u-1", Attributes: map[string]string{"role": "read"}}},
			sa:    sa,
			want: authn.Contribute(authn.Principal{
				Actor:      &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "u-1", Attributes: map[string]string{"role": "read"}},
				Credential: cred,
			}, "ok"),
		},
		{
			name:  "earlier actor without uid, resolved human kept",
			sofar: authn.Principal{User: human, Actor: &authn.ServiceAccount{Namespace: "team", Name: "key"}},
			sa:    sa,
			want:  authn.Contribute(authn.Principal{User: human, Actor: sa, Credential: cred}, "ok"),
		},
		{
			name:  "earlier actor re-created (other uid)",
			sofar: authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "u-0"}},
			sa:    sa,
			want:  authn.Reject("token ServiceAccount does not match the ServiceAccount already established"),
		},
		{
			name: "user token alone",
			user: human,
			want: authn.Contribute(authn.Principal{User: human, Credential: cred}, "ok"),
		},
		{
			name:  "user token agreeing with the forwarded user",
			sofar: authn.Principal{User: human},
			user:  human,
			want:  authn.Contribute(authn.Principal{User: human, Credential: cred}, "ok"),
		},
		{
			name:  "user token for someone else",
			sofar: authn.Principal{User: authn.User{Name: "mallory"}},
			user:  human,
			want:  authn.Reject("token user does not match the forwarded user"),
		},
		{
			name:  "user token after an actor",
			sofar: authn.Principal{Actor: sa},
			user:  human,
			want:  authn.Reject("token user does not match the ServiceAccount already established"),
		},
		{
			name: "user token for a system: identity",
			user: authn.User{Name: "system:kube-scheduler"},
			want: authn.Reject("token user name uses the reserved system: prefix"),
		},
		{
			name: "user token breaking the name rule",
			user: authn.User{Name: "alice\u200b@example.com"},
			want: authn.Reject("token user name contains an invisible format character"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Bind(tt.sofar, tt.sa, tt.user, cred, "ok")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// nilTrust is a TrustPolicy whose nil pointer satisfies the interface, as a
// typed variable declared but never assigned does.
type nilTrust struct{ authn.TrustPolicy }

// TestAlsoFromForwardedAccessTokenRefusesTypedNilTrust: a trust policy that
// is an interface holding a nil pointer is refused as a plain nil is, not
// found by a panic on a request.
func TestAlsoFromForwardedAccessTokenRefusesTypedNilTrust(t *testing.T) {
	_, err := AlsoFromForwardedAccessToken(authn.TrustPolicy((*nilTrust)(nil)))
	if err == nil || !strings.Contains(err.Error(), "needs a TrustPolicy") {
		t.Errorf("err = %v, want it refused", err)
	}
}

// TestBindCopiesTheServiceAccount: the Actor Bind returns is its own
// copy, so a cached ServiceAccount passed to it is neither handed to the
// request nor given the Attributes the chain established.
func TestBindCopiesTheServiceAccount(t *testing.T) {
	cached := &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "u-1"}
	sofar := authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", Attributes: map[string]string{"role": "read"}}}
	d := Bind(sofar, cached, authn.User{}, &authn.Credential{Type: "x"}, "ok")
	if d.Outcome != authn.Contributed {
		t.Fatalf("outcome %v %q", d.Outcome, d.Reason)
	}
	if d.Principal.Actor == cached {
		t.Error("the Actor is the caller's ServiceAccount")
	}
	if cached.Attributes != nil {
		t.Errorf("the caller's ServiceAccount was given attributes %v", cached.Attributes)
	}
}
