//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// startService starts bin as name with args, logging to dir/name.log,
// stops it when t ends (showing the log's tail if t failed), and waits up
// to 30s until a GET of readyURL through client answers 200.
func (h *Harness) startService(t testing.TB, name, dir, bin string, args []string, client *http.Client, readyURL string) *Process {
	t.Helper()
	p, err := h.Reaper.Start(h.ctx, name, filepath.Join(dir, name+".log"), bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("--- %s log (last 30 lines) ---\n%s", name, p.Tail(30))
		}
	})
	err = waitReady(h.ctx, p, 30*time.Second, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%w: %s %d", errNotReady, readyURL, resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
