//go:build linux

package e2e

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// OIDCProvider is a running OpenID provider: the example provider of
// github.com/zitadel/oidc (e2e/tools/oidc-provider), with a login page,
// in-memory users and confidential web clients. It was chosen over Ory
// Hydra because it is one Go binary with its own login page and user
// store, where Hydra needs a login and consent app beside it.
type OIDCProvider struct {
	// Issuer is https://127.0.0.1:PORT, exactly the iss of its tokens.
	Issuer string
	// HTTP trusts the provider's certificate and nothing else.
	HTTP *http.Client
	proc *Process
}

// OIDCUser is a human who can sign in at the provider.
type OIDCUser struct {
	// ID is the ID token's sub.
	ID, Username, Password, Email string
}

// StartOIDCProvider starts the provider, serving TLS with a certificate of
// ca, until t ends. clients maps each client id to its secret; every
// client may be sent back to any of redirectURIs. Its users' email
// addresses are verified (email_verified is true).
func (h *Harness) StartOIDCProvider(t testing.TB, ca *CA, users []OIDCUser, clients map[string]string, redirectURIs []string) *OIDCProvider {
	t.Helper()
	dir := t.TempDir()
	serving, err := ca.IssueServer("oidc-provider")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := serving.WriteFiles(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	// The example storage's user file: a map of user id to user.
	byID := map[string]any{}
	for _, u := range users {
		byID[u.ID] = map[string]any{
			"ID": u.ID, "Username": u.Username, "Password": u.Password,
			"FirstName": u.Username, "LastName": "E2E",
			"Email": u.Email, "EmailVerified": true, "PreferredLanguage": "en",
		}
	}
	data, err := json.Marshal(byID)
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(dir, "users.json")
	if err := os.WriteFile(usersFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	issuer := "https://" + hostPort(port)
	args := []string{
		"-addr=" + hostPort(port),
		"-issuer=" + issuer,
		"-tls-cert=" + certFile,
		"-tls-key=" + keyFile,
		"-users=" + usersFile,
		"-redirect-uris=" + strings.Join(redirectURIs, ","),
	}
	for id, secret := range clients {
		args = append(args, "-client="+id+":"+secret)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Timeout: 10 * time.Second, Transport: transport}
	p := h.startService(t, "oidc-provider", dir, h.Tools.OIDCProvider, args, client, issuer+"/.well-known/openid-configuration")
	return &OIDCProvider{Issuer: issuer, HTTP: client, proc: p}
}
