package kubecache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/nilcheck"
)

// Cache is a ServiceAccount informer cache: the only way the chain reads the
// cluster. It implements strategies.ServiceAccountReader; give it to
// strategies.CreatorAnnotation.
type Cache struct {
	// indexers holds one informer's store per watched namespace, keyed by
	// namespace ("" when all namespaces are watched).
	indexers     map[string]cache.Indexer
	maxStaleness time.Duration

	projection *Projection
	informers  []cache.SharedIndexInformer
	links      []*apiLink
	running    sync.WaitGroup
}

// Option configures New. Options are checked when New builds
// the cache.
type Option func(*config)

type config struct {
	namespaces   []string
	selector     string
	projection   *Projection
	maxStaleness time.Duration
	now          func() time.Time
	errs         []error
}

func (c *config) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("kubecache: New: "+format, args...))
}

// WithNamespaces caches only the ServiceAccounts of namespaces, with one
// watch each. A ServiceAccount elsewhere is then "not in the cache": a key
// with a verified token is refused as if its ServiceAccount had been
// deleted (and one without, believed only under
// strategies.InsecureBelieveForwardedSubjects, gets the synthetic
// identity). Use it with the same namespaces as strategies.RequireNamespaces
// and only if keys live nowhere else.
func WithNamespaces(namespaces ...string) Option {
	return func(c *config) {
		if len(namespaces) == 0 {
			c.errorf("WithNamespaces needs at least one namespace")
		}
		for _, ns := range namespaces {
			if msgs := content.IsDNS1123Label(ns); len(msgs) > 0 {
				c.errorf("namespace %q: %v", ns, msgs)
				continue
			}
			if !slices.Contains(c.namespaces, ns) {
				c.namespaces = append(c.namespaces, ns)
			}
		}
	}
}

// WithLabelSelector caches only the ServiceAccounts selector matches (the
// Kubernetes label selector syntax, e.g. "app=ambient-access-key"). As with
// WithNamespaces, an unmatched ServiceAccount is "not in the cache", so a
// token-bearing key without the label is refused rather than made
// synthetic: use it only if every ServiceAccount that may call carries the
// label.
func WithLabelSelector(selector string) Option {
	return func(c *config) {
		if _, err := labels.Parse(selector); err != nil || selector == "" {
			c.errorf("label selector %q is empty or invalid", selector)
			return
		}
		c.selector = selector
	}
}

// WithProjection stores, of each ServiceAccount, only its namespace, name,
// uid, whether its deletion has begun, and the labels and annotations p
// names, so that the cache holds what the chain reads and no more (no
// managedFields, secrets, resourceVersion or unrelated metadata), packed
// into one string per key rather than a client-go object and two maps.
// Build p from what the strategies read
// (strategies.AnnotationStrategy.Projection), and check it at start-up with
// Cache.CheckProjection.
func WithProjection(p Projection) Option {
	return func(c *config) {
		for _, k := range slices.Concat(p.Labels, p.Annotations) {
			if msgs := content.IsLabelKey(k); len(msgs) > 0 {
				c.errorf("projection key %q: %v", k, msgs)
			}
		}
		p = Projection{Labels: slices.Clone(p.Labels), Annotations: slices.Clone(p.Annotations)}
		c.projection = &p
	}
}

// WithMaxStaleness bounds how long the cache answers after losing its
// watch on the API server: once no list or watch has succeeded for longer
// than d, HasSynced reports false (the annotation strategy then fails with
// 503) until the informer is back. Without it an informer serves its last
// state for as long as the API server is away, so a key deleted meanwhile
// keeps working. d must be positive.
//
// d counts from when the loss is noticed. A stopped or restarted API server
// ends the watch at once; a silent network partition is noticed only when
// the connection's health check fails (about 45 seconds with client-go's
// HTTP/2 pings), so the cache may then answer for up to d plus that.
//
// Since those 503s last until the informer reconnects, the cache then also
// retries an unreachable API server itself, at most a second apart, rather
// than leaving it to client-go's backoff, which grows to 30 seconds (60
// with jitter) and would prolong the 503s by as much after the API server
// is back.
func WithMaxStaleness(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errorf("WithMaxStaleness(%v): must be positive", d)
			return
		}
		c.maxStaleness = d
	}
}

// withCacheClock sets the clock staleness is measured with, for tests.
func withCacheClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// New starts ServiceAccount informers on client, configured by opts,
// and returns at once; HasSynced turns true after the first full list.
// Stop them by cancelling ctx, then calling Shutdown. A nil ctx or client,
// or one holding a nil pointer, is an error.
func New(ctx context.Context, client kubernetes.Interface, opts ...Option) (*Cache, error) {
	cfg := config{now: time.Now}
	if nilcheck.IsNil(ctx) {
		cfg.errorf("ctx is nil")
	}
	if nilcheck.IsNil(client) {
		cfg.errorf("client is nil")
	}
	for i, opt := range opts {
		if opt == nil {
			cfg.errorf("option %d is nil", i)
			continue
		}
		opt(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}

	namespaces := cfg.namespaces
	if namespaces == nil {
		namespaces = []string{metav1.NamespaceAll}
	}
	c := &Cache{projection: cfg.projection, maxStaleness: cfg.maxStaleness, indexers: make(map[string]cache.Indexer, len(namespaces))}
	for _, ns := range namespaces {
		link := &apiLink{now: cfg.now, retry: cfg.maxStaleness > 0}
		informer := cache.NewSharedIndexInformerWithOptions(
			cache.ToListWatcherWithWatchListSemantics(serviceAccountListWatch(client, ns, cfg.selector, link), client),
			&corev1.ServiceAccount{},
			// No indexer: the cache looks keys up by namespace/name only,
			// and a namespace index would cost a set entry per key.
			cache.SharedIndexInformerOptions{},
		)
		if cfg.projection != nil {
			if err := informer.SetTransform(cfg.projection.transform()); err != nil {
				return nil, fmt.Errorf("kubecache: New: %w", err)
			}
		}
		c.informers = append(c.informers, informer)
		c.links = append(c.links, link)
		c.indexers[ns] = informer.GetIndexer()
	}
	for _, inf := range c.informers {
		c.running.Go(func() { inf.RunWithContext(ctx) })
	}
	return c, nil
}

// ServiceAccount returns what the strategies read of the cached
// ServiceAccount namespace/name, and false if the cache holds none (also
// for a namespace it does not watch). Read its labels and annotations with
// its Label and Annotation methods: a projected cache sets Values and no
// maps. Its maps, if any, are shared with the cache and must not be
// modified.
func (c *Cache) ServiceAccount(namespace, name string) (strategies.ServiceAccountMeta, bool, error) {
	idx, ok := c.indexers[metav1.NamespaceAll]
	if !ok {
		if idx, ok = c.indexers[namespace]; !ok {
			return strategies.ServiceAccountMeta{}, false, nil
		}
	}
	return lookup(idx, namespace, name)
}

// HasSynced reports whether every informer has finished its first list
// and, with WithMaxStaleness, none has been cut off from the API server
// for longer than allowed.
func (c *Cache) HasSynced() bool {
	for i, inf := range c.informers {
		if !inf.HasSynced() {
			return false
		}
		if c.maxStaleness > 0 && c.links[i].downFor() > c.maxStaleness {
			return false
		}
	}
	return true
}

// Stale reports whether any informer has lost the API server and not yet
// listed or watched again, so the cache may miss recent changes. It turns
// true for a moment whenever a watch ends, as the API server ends them
// routinely, and stays true during an outage, before and after
// WithMaxStaleness makes HasSynced report false.
func (c *Cache) Stale() bool {
	for _, l := range c.links {
		if l.downSince.Load() != 0 {
			return true
		}
	}
	return false
}

// WaitForSync waits until the cache has synced or ctx ends, and reports
// whether it synced.
func (c *Cache) WaitForSync(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	synced := make([]cache.InformerSynced, len(c.informers))
	for i, inf := range c.informers {
		synced[i] = inf.HasSynced
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// CheckProjection returns nil if the cache keeps every label and
// annotation the needs name, as CheckProjection does for the cache's
// projection; a cache built without WithProjection keeps whole objects and
// always passes. Call it once the strategies are built, with their
// Projection(), to refuse to start with a projection that would drop what
// they read.
func (c *Cache) CheckProjection(needs ...Projection) error {
	if c.projection == nil {
		return nil
	}
	return CheckProjection(*c.projection, needs...)
}

// Len returns the number of cached ServiceAccounts.
func (c *Cache) Len() int {
	n := 0
	for _, inf := range c.informers {
		n += len(inf.GetStore().ListKeys())
	}
	return n
}

// Shutdown waits for the informers to stop. The context given to New
// must be cancelled first.
func (c *Cache) Shutdown() { c.running.Wait() }

// serviceAccountListWatch lists and watches the ServiceAccounts of
// namespace matching selector, reporting every success and failure to
// link.
func serviceAccountListWatch(client kubernetes.Interface, namespace, selector string, link *apiLink) *cache.ListWatch {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.LabelSelector = selector
			var list *corev1.ServiceAccountList
			err := link.call(ctx, func() (err error) {
				list, err = client.CoreV1().ServiceAccounts(namespace).List(ctx, opts)
				return err
			})
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.LabelSelector = selector
			var w watch.Interface
			err := link.call(ctx, func() (err error) {
				w, err = client.CoreV1().ServiceAccounts(namespace).Watch(ctx, opts)
				return err
			})
			if err != nil {
				return nil, err
			}
			return link.track(w), nil
		},
	}
}

// Delays between the cache's own retries of an unreachable API server.
const (
	reconnectMinDelay = 100 * time.Millisecond
	reconnectMaxDelay = time.Second
)

// apiLink remembers since when an informer has been unable to reach the
// API server: from the first failed list or watch, or the moment an open
// watch ended on its own, until the next list or watch succeeds.
type apiLink struct {
	now func() time.Time
	// retry makes call retry an unreachable API server; see
	// WithMaxStaleness.
	retry bool
	// downSince is when the link went down, in Unix nanoseconds, or 0
	// while it is up. Atomic, because HasSynced reads it on every request.
	downSince atomic.Int64
}

// call runs a list or watch call and reports its outcome. With retry set,
// a call that could not reach the API server is made again, with delays
// growing from reconnectMinDelay to reconnectMaxDelay, until it reaches
// it or ctx ends. Other errors (an expired resource version, a denial) go
// back to the informer at once, which must act on them.
func (l *apiLink) call(ctx context.Context, do func() error) error {
	delay := reconnectMinDelay
	for {
		err := do()
		l.report(err)
		if err == nil || !l.retry || !unreachable(err) {
			return err
		}
		// Jitter spreads the retries of many replicas.
		timer := time.NewTimer(delay/2 + rand.N(delay/2+1))
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		delay = min(2*delay, reconnectMaxDelay)
	}
}

// unreachable reports whether err means the API server could not be
// reached or is not serving yet. 429 is not among them: the server asks
// for less traffic, and the informer's own backoff gives it that.
func unreachable(err error) bool {
	return utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) ||
		utilnet.IsProbableEOF(err) || utilnet.IsTimeout(err) || utilnet.IsHTTP2ConnectionLost(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err)
}

func (l *apiLink) report(err error) {
	if err == nil {
		l.downSince.Store(0)
	} else {
		l.down()
	}
}

// down marks the link down, unless it already is: the outage began then.
func (l *apiLink) down() { l.downSince.CompareAndSwap(0, l.now().UnixNano()) }

// downFor returns how long the link has been down, or 0 while it is up.
func (l *apiLink) downFor() time.Duration {
	since := l.downSince.Load()
	if since == 0 {
		return 0
	}
	return time.Duration(l.now().UnixNano() - since)
}

// track returns w, observed: a result channel that closes without Stop
// being called means the connection ended, which marks the link down
// until the informer's next list or watch succeeds. Watches that end
// normally (server timeouts) are followed by a new watch at once, so they
// mark it down only for a moment.
func (l *apiLink) track(w watch.Interface) watch.Interface {
	t := &trackedWatch{inner: w, out: make(chan watch.Event), stop: make(chan struct{})}
	go func() {
		defer close(t.out)
		in := w.ResultChan()
		for {
			select {
			case ev, ok := <-in:
				if !ok {
					l.down()
					return
				}
				select {
				case t.out <- ev:
				case <-t.stop:
					return
				}
			case <-t.stop:
				return
			}
		}
	}()
	return t
}

type trackedWatch struct {
	inner watch.Interface
	out   chan watch.Event
	stop  chan struct{}
	once  sync.Once
}

func (t *trackedWatch) ResultChan() <-chan watch.Event { return t.out }

func (t *trackedWatch) Stop() {
	t.once.Do(func() {
		close(t.stop)
		t.inner.Stop()
	})
}
