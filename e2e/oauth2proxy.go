//go:build linux

package e2e

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// OAuth2Proxy is a running oauth2-proxy.
type OAuth2Proxy struct {
	// URL is where clients call, http://127.0.0.1:PORT.
	URL  string
	proc *Process
}

// StartOAuth2Proxy starts oauth2-proxy in front of upstream and stops it
// when t ends. It lets through:
//   - ServiceAccount tokens of cluster's issuer for audience
//     (--skip-jwt-bearer-tokens, --extra-jwt-issuers), passed on with the
//     Authorization header intact and X-Forwarded-User set to the token's
//     subject, system:serviceaccount:NS:NAME;
//   - the basic-auth users of users (name to password), which stand in
//     for humans who signed in: no identity provider is reachable here.
//
// extraIssuers ("ISSUER=AUDIENCE") are further bearer-token issuers it
// trusts in the same way; their discovery must be served with a certificate
// of cluster's CA. Identity headers a client sends are replaced
// (--skip-auth-strip-headers, the default). The OAuth provider is a
// placeholder that is never called.
func (h *Harness) StartOAuth2Proxy(t testing.TB, cluster *Cluster, upstream, audience string, users map[string]string, extraIssuers ...string) *OAuth2Proxy {
	t.Helper()
	dir := t.TempDir()
	var htpasswd strings.Builder
	for user, password := range users {
		// SHA-1 is what htpasswd -s writes; fine for a test password.
		sum := sha1.Sum([]byte(password))
		fmt.Fprintf(&htpasswd, "%s:{SHA}%s\n", user, base64.StdEncoding.EncodeToString(sum[:]))
	}
	htpasswdFile := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswdFile, []byte(htpasswd.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	proxyURL := "http://" + hostPort(port)
	args := []string{
		"--http-address=" + hostPort(port),
		"--upstream=" + upstream,
		"--provider=google", // never used: no client signs in through a provider
		"--client-id=authchain-e2e",
		"--client-secret=unused",
		"--cookie-secret=" + randomHex(16), // 32 characters
		"--cookie-secure=false",
		"--email-domain=*",
		"--skip-jwt-bearer-tokens",
		"--extra-jwt-issuers=" + cluster.URL + "=" + audience,
		"--provider-ca-file=" + cluster.CAFile, // for the issuer's discovery and keys
		"--htpasswd-file=" + htpasswdFile,
		"--silence-ping-logging",
		"--request-logging=false", // authentication is still logged
	}
	for _, issuer := range extraIssuers {
		args = append(args, "--extra-jwt-issuers="+issuer)
	}
	return h.runOAuth2Proxy(t, dir, proxyURL, args)
}

// OIDCProxy says how StartOIDCProxy configures oauth2-proxy.
type OIDCProxy struct {
	// Port is where it listens; the provider must accept
	// http://127.0.0.1:PORT/oauth2/callback as a redirect URI.
	Port int
	// ClientID and ClientSecret are its client at the provider.
	ClientID, ClientSecret string
	// PassAuthorization passes the ID token upstream as
	// "Authorization: Bearer" (--pass-authorization-header).
	PassAuthorization bool
}

// StartOIDCProxy starts oauth2-proxy in front of upstream, signing humans
// in at op with the authorization-code flow (PKCE included), and stops it
// when t ends. A request without a session is sent to the provider's login
// page at once (--skip-provider-button). Upstream gets X-Forwarded-User set
// to the ID token's email (--prefer-email-to-user), so that a forwarded
// user and the ID token's email name the same human. op's certificate must
// be of caFile's CA.
func (h *Harness) StartOIDCProxy(t testing.TB, op *OIDCProvider, caFile, upstream string, cfg OIDCProxy) *OAuth2Proxy {
	t.Helper()
	proxyURL := "http://" + hostPort(cfg.Port)
	args := []string{
		"--http-address=" + hostPort(cfg.Port),
		"--upstream=" + upstream,
		"--provider=oidc",
		"--oidc-issuer-url=" + op.Issuer,
		"--provider-ca-file=" + caFile,
		"--client-id=" + cfg.ClientID,
		"--client-secret=" + cfg.ClientSecret,
		"--redirect-url=" + proxyURL + "/oauth2/callback",
		"--code-challenge-method=S256",
		"--cookie-secret=" + randomHex(16), // 32 characters
		"--cookie-secure=false",
		"--email-domain=*",
		"--skip-provider-button",
		"--prefer-email-to-user",
		fmt.Sprintf("--pass-authorization-header=%t", cfg.PassAuthorization),
		"--silence-ping-logging",
		"--request-logging=false", // authentication is still logged
	}
	return h.runOAuth2Proxy(t, t.TempDir(), proxyURL, args)
}

// runOAuth2Proxy runs oauth2-proxy with args, logging to dir, until t ends,
// and waits until proxyURL answers /ping.
func (h *Harness) runOAuth2Proxy(t testing.TB, dir, proxyURL string, args []string) *OAuth2Proxy {
	t.Helper()
	p := h.startService(t, "oauth2-proxy", dir, h.Tools.OAuth2Proxy, args, &http.Client{Timeout: time.Second}, proxyURL+"/ping")
	return &OAuth2Proxy{URL: proxyURL, proc: p}
}
