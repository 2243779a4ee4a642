package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authchain/authchain/internal/logcapture"
)

// TestServerLogsHoldNoToken runs whoami as a server, with each -log-format,
// while all log output of the process is captured (its stderr, the slog
// default logger, the log package and klog). It sends the demo tokens
// whoami prints, tampered and mismatched ones, and a non-JWT secret, in
// Authorization and X-Forwarded-Access-Token, and finds none of them in
// the logs, which do hold a record per request.
func TestServerLogsHoldNoToken(t *testing.T) {
	capture := logcapture.All(t)
	var secrets logcapture.Secrets
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			addr, tokens := startSynced(t, []string{"-listen", "127.0.0.1:0", "-log-format", format}, capture)
			type req struct{ user, header, value string }
			var reqs []req
			for name, tok := range tokens {
				subject := "system:serviceaccount:demo:" + name
				reqs = append(reqs,
					req{subject, "Authorization", "Bearer " + tok},
					req{"", "Authorization", "Bearer " + tok},
					req{subject, "Authorization", "Bearer " + tok[:len(tok)-4] + "AAAA"},
					req{"system:serviceaccount:demo:someone-else", "Authorization", "Bearer " + tok},
					req{subject, "X-Forwarded-Access-Token", tok},
				)
			}
			reqs = append(reqs, req{"alice", "Authorization", "Bearer not-a-jwt-but-a-long-secret-value"})
			for _, rq := range reqs {
				secrets.Add(rq.value)
				r, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/whoami?q=1", nil)
				r.Header.Set(rq.header, rq.value)
				if rq.user != "" {
					r.Header.Set("X-Forwarded-User", rq.user)
				}
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	out := capture.String()
	for _, want := range []string{"msg=authenticated", "msg=refused", "path=/whoami", `"msg":"authenticated"`, `"msg":"refused"`, `"path":"/whoami"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
	if strings.Contains(out, "q=1") {
		t.Error("the logs hold the query")
	}
	secrets.Check(t, out)
}

// startServer runs whoami with args until t ends, its stderr in capture,
// and returns the address it serves on and the demo tokens it printed by
// key name.
// startSynced is startServer for a test whose first request needs the
// chain: it waits for /readyz, since the in-memory cache syncs in the
// background and a busy machine may answer 503 before it has.
func startSynced(t *testing.T, args []string, stderr io.Writer) (string, map[string]string) {
	t.Helper()
	addr, tokens := startServer(t, args, stderr)
	if status := readyz(t, addr); status != 200 {
		t.Fatalf("whoami %v: /readyz %d", args, status)
	}
	return addr, tokens
}

func startServer(t *testing.T, args []string, stderr io.Writer) (string, map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, args, strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	tokens := map[string]string{}
	addr := ""
	sc := bufio.NewScanner(pr)
	for addr == "" && sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) == 2 && strings.HasPrefix(fields[0], "ambient-key-") {
			tokens[fields[0]] = fields[1]
		}
		if _, rest, ok := strings.Cut(line, "http://"); ok {
			addr, _, _ = strings.Cut(rest, "/")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if addr == "" || len(tokens) == 0 {
		t.Fatalf("whoami printed no address or tokens")
	}
	return addr, tokens
}
