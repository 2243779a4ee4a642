package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestAttack10bLoopbackLookalikes: WithInsecureLoopbackHTTP allows http
// only to this machine; names and addresses that merely look like it, or
// that reach it only through DNS, are refused.
func TestAttack10bLoopbackLookalikes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, u := range []string{
		"http://localhost.evil.example.com/jwks",
		"http://127.0.0.1.nip.io/jwks",
		"http://0.0.0.0:8080/jwks",
		"http://[::]:8080/jwks",
		"http://0/jwks",
		"http://127.1/jwks",
		"http://2130706433/jwks",
		"http://0x7f000001/jwks",
		"http://127.0.0.1@evil.example.com/jwks",
		"http://evil.example.com#@127.0.0.1/jwks",
		"http://evil.example.com?@127.0.0.1/jwks",
		"http://localhost:80@evil.example.com/jwks",
		"http://[fe80::1%25lo]/jwks",
		"http://10.0.0.1/jwks",
		"http://169.254.169.254/latest/meta-data",
		"http:///jwks",
		"http:127.0.0.1/jwks",
		"HTTP://evil.example.com/jwks",
		"ws://127.0.0.1/jwks",
		"file:///etc/passwd",
	} {
		keys, err := jwks.URL(ctx, u, jwks.WithInsecureLoopbackHTTP())
		if err == nil {
			keys.Close()
			t.Errorf("%s: accepted", u)
		}
	}
}

// TestAttack10bLoopbackRedirects: from a loopback http JWKS URL, a redirect
// to another port, to another loopback spelling, or to an https host is
// refused; so is one from https down to loopback http.
func TestAttack10bLoopbackRedirects(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	kid := tokentest.KubeKID(t, &k.EC.PublicKey)
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		foreignHits.Add(1)
		_, _ = w.Write(tokentest.JWKS(t, &k.EC.PublicKey))
	}))
	t.Cleanup(foreign.Close)
	foreignTLS := httptest.NewTLSServer(foreign.Config.Handler)
	t.Cleanup(foreignTLS.Close)
	port := foreign.URL[strings.LastIndexByte(foreign.URL, ':'):]
	for name, target := range map[string]string{
		"other port":       foreign.URL + "/jwks",
		"localhost":        "http://localhost" + port + "/jwks",
		"https other host": foreignTLS.URL + "/jwks",
	} {
		srv := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
		keys, err := jwks.URL(context.Background(), srv.URL+"/jwks", jwks.WithInsecureLoopbackHTTP(),
			jwks.WithHTTPClient(foreignTLS.Client()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keys.Key(context.Background(), kid); err == nil {
			t.Errorf("%s: redirect followed to a key", name)
		}
		keys.Close()
		srv.Close()
	}
	// https down to loopback http, with the option set.
	srv := httptest.NewTLSServer(http.RedirectHandler(foreign.URL+"/jwks", http.StatusFound))
	defer srv.Close()
	keys, err := jwks.URL(context.Background(), srv.URL+"/jwks", jwks.WithInsecureLoopbackHTTP(), jwks.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := keys.Key(context.Background(), kid); err == nil {
		t.Error("https to loopback http: redirect followed to a key")
	}
	if n := foreignHits.Load(); n != 0 {
		t.Errorf("the redirect targets got %d requests", n)
	}
}

// TestAttack10bHugeBody: a JWKS over MaxResponseBytes, even one that is
// valid JSON padded with whitespace, is refused, not read whole.
func TestAttack10bHugeBody(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	body := append(tokentest.JWKS(t, &k.EC.PublicKey), []byte(strings.Repeat(" ", jwks.MaxResponseBytes))...)
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n, _ := w.Write(body)
		sent.Add(int64(n))
	}))
	defer srv.Close()
	keys, err := jwks.URL(context.Background(), srv.URL+"/jwks", jwks.WithInsecureLoopbackHTTP())
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.EC.PublicKey)); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Errorf("oversized JWKS: %v", err)
	}
}

// TestAttack10bSlowLoris: a server that sends its JWKS a byte at a time,
// forever, cannot hold a request: Key returns ErrKeysUnavailable (after
// MaxRefreshWait), and Close ends the fetch.
func TestAttack10bSlowLoris(t *testing.T) {
	if testing.Short() {
		t.Skip("waits MaxRefreshWait")
	}
	tokentest.VerifyNoLeaks(t)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[`))
		w.(http.Flusher).Flush()
		for {
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
				_, _ = w.Write([]byte(" "))
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer srv.Close()
	defer close(stop)
	keys, err := jwks.URL(context.Background(), srv.URL+"/jwks", jwks.WithInsecureLoopbackHTTP())
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := keys.Key(context.Background(), "any"); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Errorf("slow server: %v", err)
	}
}

// TestAttack10bUnknownKidStorm: many concurrent tokens with made-up kids
// cost the JWKS server one fetch per minimum refresh interval, not one
// each.
func TestAttack10bUnknownKidStorm(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(tokentest.JWKS(t, &k.EC.PublicKey))
	}))
	defer srv.Close()
	clock := tokentest.NewClockAt(tokentest.Now())
	keys, err := jwks.URL(context.Background(), srv.URL+"/jwks", jwks.WithInsecureLoopbackHTTP(), jwks.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = keys.Key(context.Background(), fmt.Sprintf("made-up-%d", i))
		}()
	}
	wg.Wait()
	if n := fetches.Load(); n > 2 {
		t.Errorf("200 made-up kids cost %d fetches", n)
	}
}
