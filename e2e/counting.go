//go:build linux

package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Kinds of API calls counted by APICalls.
const (
	CallGet         = "GET"         // one object
	CallList        = "LIST"        // a collection
	CallWatch       = "WATCH"       // a watch, including a streaming initial list
	CallTokenReview = "TOKENREVIEW" // POST …/tokenreviews
	CallKeys        = "KEYS"        // OIDC discovery document or key set
)

// APICalls counts the HTTP requests that pass through the transports it
// wraps, by kind. Wrap every client the code under test builds (informers,
// TokenReview, the OIDC key set) to see what it costs the API server.
type APICalls struct {
	mu     sync.Mutex
	counts map[string]int
}

// NewAPICalls returns a zeroed counter.
func NewAPICalls() *APICalls { return &APICalls{counts: map[string]int{}} }

// Wrap returns rt, counting. It fits rest.Config.WrapTransport.
func (c *APICalls) Wrap(rt http.RoundTripper) http.RoundTripper {
	return countingTransport{next: rt, calls: c}
}

// Snapshot returns the counts so far.
func (c *APICalls) Snapshot() CallCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// CallCounts maps a kind of call to a count.
type CallCounts map[string]int

// Sub returns the calls made since before.
func (cc CallCounts) Sub(before CallCounts) CallCounts {
	out := CallCounts{}
	for k, v := range cc {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func (cc CallCounts) String() string {
	if len(cc) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(cc)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, cc[k]))
	}
	return strings.Join(parts, " ")
}

type countingTransport struct {
	next  http.RoundTripper
	calls *APICalls
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	kind := callKind(r)
	t.calls.mu.Lock()
	t.calls.counts[kind]++
	t.calls.mu.Unlock()
	return t.next.RoundTrip(r)
}

// callKind classifies a request to the API server.
func callKind(r *http.Request) string {
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/tokenreviews"):
		return CallTokenReview
	case path == "/.well-known/openid-configuration" || strings.HasPrefix(path, "/openid/"):
		return CallKeys
	case r.Method != http.MethodGet:
		return r.Method
	case r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1":
		return CallWatch
	}
	// /api/v1/[namespaces/NS/]RESOURCE[/NAME] or /apis/GROUP/VERSION/…:
	// an odd number of segments names a collection.
	var rest string
	switch {
	case strings.HasPrefix(path, "/api/v1/"):
		rest = strings.TrimPrefix(path, "/api/v1/")
	case strings.HasPrefix(path, "/apis/"):
		parts := strings.SplitN(strings.TrimPrefix(path, "/apis/"), "/", 3)
		if len(parts) < 3 {
			return CallGet // discovery
		}
		rest = parts[2]
	default:
		return CallGet
	}
	if strings.Count(strings.Trim(rest, "/"), "/")%2 == 0 {
		return CallList
	}
	return CallGet
}
