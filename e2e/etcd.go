//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// startEtcd starts a single-member etcd on loopback ports with its data in
// dir and waits until /health reports it healthy. It returns the client
// URL.
func (h *Harness) startEtcd(ctx context.Context, dir string) (*Process, string, error) {
	clientPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	clientURL := "http://" + hostPort(clientPort)
	peerURL := "http://" + hostPort(peerPort)
	p, err := h.Reaper.Start(h.ctx, "etcd", filepath.Join(dir, "etcd.log"), h.Tools.Etcd,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
		// A test cluster's data dies with the test: durability buys nothing.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	)
	if err != nil {
		return nil, "", err
	}
	client := &http.Client{Timeout: time.Second}
	err = waitReady(ctx, p, 30*time.Second, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, clientURL+"/health", nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"health":"true"`) {
			return fmt.Errorf("%w: /health %d %s", errNotReady, resp.StatusCode, body)
		}
		return nil
	})
	if err != nil {
		p.Stop(time.Second)
		return nil, "", err
	}
	return p, clientURL, nil
}
