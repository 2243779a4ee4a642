//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Harness is what the tests of one test binary share: the built tools and
// the Reaper that owns every process. TestMain makes it.
type Harness struct {
	Tools  Tools
	Reaper *Reaper
	Report Report
	// ctx ends when TestMain tears down, killing whatever is still running.
	ctx context.Context
}

// NewHarness returns a harness whose processes are killed when ctx ends.
func NewHarness(ctx context.Context, tools Tools) *Harness {
	return &Harness{Tools: tools, Reaper: NewReaper(), ctx: ctx}
}

// Cluster is an etcd and a kube-apiserver started for one test.
type Cluster struct {
	// URL is the API server's address, https://127.0.0.1:PORT; it is
	// also the ServiceAccount token issuer.
	URL string
	// CA signed the API server's certificate; CAFile holds it in PEM.
	CA     *CA
	CAFile string
	// AdminToken authenticates as a member of system:masters.
	AdminToken string
	// Dir holds the cluster's files and logs.
	Dir string

	h             *Harness
	etcd          *Process
	apiserverArgs []string
	apiserverLog  string

	mu        sync.Mutex
	apiserver *Process // nil while stopped
}

// StartCluster starts etcd and kube-apiserver for t, lets anonymous
// clients read the OIDC discovery document and keys, and stops both when t
// ends, the API server first (it would otherwise retry a missing etcd).
// When t fails, the tails of their logs are logged.
func (h *Harness) StartCluster(t testing.TB) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c := &Cluster{Dir: dir, h: h, AdminToken: randomHex(16), apiserverLog: filepath.Join(dir, "kube-apiserver.log")}
	t.Cleanup(func() { c.logTailsOnFailure(t) })
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Minute)
	defer cancel()

	etcd, etcdURL, err := h.startEtcd(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	c.etcd = etcd
	t.Cleanup(func() { etcd.Stop(10 * time.Second) })

	if c.CA, err = NewCA("authchain e2e CA"); err != nil {
		t.Fatal(err)
	}
	c.CAFile = filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(c.CAFile, c.CA.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c.URL = "https://" + hostPort(port)
	if c.apiserverArgs, err = apiServerArgs(dir, port, etcdURL, c.CA, c.AdminToken); err != nil {
		t.Fatal(err)
	}
	c.StartAPIServer(t)
	t.Cleanup(c.StopAPIServer)

	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-oidc-discovery"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:service-account-issuer-discovery"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:unauthenticated"}},
	}
	if _, err := c.AdminClient(t).RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// StartAPIServer starts the API server, with the flags, port and etcd of
// its first start, and waits until it is ready.
func (c *Cluster) StartAPIServer(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apiserver != nil {
		t.Fatal("kube-apiserver is already running")
	}
	ctx, cancel := context.WithTimeout(c.h.ctx, 2*time.Minute)
	defer cancel()
	p, err := c.h.startAPIServer(ctx, c.apiserverLog, c.apiserverArgs, c.URL, c.AdminToken, c.CA)
	if err != nil {
		t.Fatal(err)
	}
	c.apiserver = p
}

// StopAPIServer stops the API server, gracefully if it complies within
// 10 seconds. A graceful stop closes the listener at once but waits for
// open watches to end, which clients keep open: an app's informers see
// the end only when the process does. etcd keeps running, so a restart
// finds every object again.
func (c *Cluster) StopAPIServer() { c.stopAPIServer(10 * time.Second) }

// KillAPIServer kills the API server at once, as a crash or a lost node
// would: every connection to it ends.
func (c *Cluster) KillAPIServer() { c.stopAPIServer(0) }

func (c *Cluster) stopAPIServer(grace time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apiserver != nil {
		c.apiserver.Stop(grace)
		c.apiserver = nil
	}
}

// Config returns a client configuration for the admin, without client-side
// rate limits. wrap, if not nil, wraps its transport (e.g. to count calls).
func (c *Cluster) Config(wrap func(http.RoundTripper) http.RoundTripper) *rest.Config {
	return &rest.Config{
		Host:            c.URL,
		BearerToken:     c.AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CA.PEM},
		QPS:             -1, // no client-side rate limit
		WrapTransport:   wrap,
		UserAgent:       "authchain-e2e",
	}
}

// AdminClient returns an admin clientset.
func (c *Cluster) AdminClient(t testing.TB) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(c.Config(nil))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func (c *Cluster) logTailsOnFailure(t testing.TB) {
	if !t.Failed() {
		return
	}
	for _, name := range []string{"etcd.log", "kube-apiserver.log"} {
		p := &Process{Name: name, LogPath: filepath.Join(c.Dir, name)}
		t.Logf("--- %s (last 30 lines) ---\n%s", name, p.Tail(30))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Report collects the measurements of a run (propagation times, call
// counts, memory) for people to read: go test shows the logs of passing
// tests only with -v, so TestMain also writes them to a file.
type Report struct {
	mu    sync.Mutex
	lines []string
}

// Addf records one measurement and logs it to t.
func (r *Report) Addf(t testing.TB, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf("%s: %s", t.Name(), fmt.Sprintf(format, args...))
	t.Log(line)
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

// add records one line that belongs to no test.
func (r *Report) add(line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

// WriteFile writes the measurements to path, one a line.
func (r *Report) WriteFile(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return os.WriteFile(path, []byte(strings.Join(r.lines, "\n")+"\n"), 0o644)
}
