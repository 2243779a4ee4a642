//go:build linux

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// apiServerArgs returns kube-apiserver's flags for a loopback server on port
// backed by etcdURL, writing its certificates, keys and token file to dir.
// The issuer is the server itself, so that it serves the OIDC discovery
// document and keys that oauth2-proxy and authchain fetch.
func apiServerArgs(dir string, port int, etcdURL string, ca *CA, adminToken string) ([]string, error) {
	serving, err := ca.IssueServer("kube-apiserver")
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(dir, "apiserver.crt"), filepath.Join(dir, "apiserver.key")
	if err := serving.WriteFiles(certFile, keyFile); err != nil {
		return nil, err
	}
	saKey, err := newServiceAccountKey()
	if err != nil {
		return nil, err
	}
	saKeyFile := filepath.Join(dir, "sa.key")
	if err := os.WriteFile(saKeyFile, saKey, 0o600); err != nil {
		return nil, err
	}
	// token,user,uid,"groups": system:masters passes every RBAC check.
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(adminToken+`,e2e-admin,e2e-admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	issuer := "https://" + hostPort(port)
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file=" + certFile,
		"--tls-private-key-file=" + keyFile,
		"--service-account-issuer=" + issuer,
		"--service-account-key-file=" + saKeyFile,
		"--service-account-signing-key-file=" + saKeyFile,
		"--token-auth-file=" + tokenFile,
		// RBAC, not AlwaysAllow: with AlwaysAllow the OIDC discovery
		// endpoints are not served to anonymous clients.
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/24",
		// No kube-controller-manager runs, and loopback is not a valid
		// endpoint address: keep the kubernetes Service's endpoints alone.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}, nil
}

// startAPIServer starts kube-apiserver with args and waits for /readyz.
func (h *Harness) startAPIServer(ctx context.Context, logPath string, args []string, url, adminToken string, ca *CA) (*Process, error) {
	p, err := h.Reaper.Start(h.ctx, "kube-apiserver", logPath, h.Tools.KubeAPIServer, args...)
	if err != nil {
		return nil, err
	}
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}},
	}
	defer client.CloseIdleConnections()
	err = waitReady(ctx, p, 90*time.Second, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%w: /readyz %d %s", errNotReady, resp.StatusCode, body)
		}
		return nil
	})
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}
