package authnconfig

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// Deps holds what a configuration file cannot: the clients a chain talks
// to, and a clock for tests.
type Deps struct {
	// ServiceAccounts is the cache the annotation strategy reads; a
	// *kubecache.Cache must keep what the chain reads (Build checks its
	// projection). When it is nil and Kubernetes is set, Build starts a
	// kubecache.Cache on Kubernetes, projected to what the chain reads.
	ServiceAccounts strategies.ServiceAccountReader
	// Kubernetes is the cluster's client: the tokenReview strategy sends
	// its TokenReviews there.
	Kubernetes kubernetes.Interface
	// HTTPClient fetches the keys of jwt strategies with discovery; nil
	// means jwks.OIDC's default client. On a cluster,
	// kubecache.APIServerHTTPClient makes one that sends the pod's token to
	// the API server alone.
	HTTPClient *http.Client
	// Now is the clock of the token strategies and key sets; nil means
	// time.Now.
	Now func() time.Time
	// TokenCacheObserver, if set, is asked once for each jwt and
	// tokenReview strategy Build builds, with the strategy's name in the
	// chain ("jwt" or the jwt strategy's Name, "tokenreview"), for the
	// observer of that strategy's token cache; a nil answer observes
	// nothing. Asking by name keeps several issuers' caches apart, as
	// authnmetrics.Metrics.TokenCache does with its cache label.
	TokenCacheObserver func(strategy string) bearer.CacheObserver
	// TokenReviewCallObserver, if set, is given the outcome of every
	// TokenReview the tokenReview strategy makes or refuses to make (see
	// tokenreview.WithCallObserver), such as
	// authnmetrics.Metrics.TokenReviewCall.
	TokenReviewCallObserver func(code string)
}

// Built is a chain built from a configuration, with what it needs to run.
type Built struct {
	// Chain authenticates requests.
	Chain *authn.Chain
	// Projection is what the chain reads of a ServiceAccount: build the
	// ServiceAccount cache with kubecache.WithProjection(Projection). It is
	// the zero Projection when no strategy reads ServiceAccounts.
	Projection kubecache.Projection
	// Cache is the ServiceAccount cache Build started, or nil when it
	// started none (Deps.ServiceAccounts was given, or nothing reads
	// ServiceAccounts).
	Cache *kubecache.Cache
	// KeySets are the refreshing key sets (discovery or a JWKS URL) of the
	// strategies, in their order, for a program that reports them (see
	// authnmetrics.Metrics.KeySet). Close stops their refreshes.
	KeySets []*jwks.OIDCKeys

	closers []func()
	// synced report whether the refreshing key sets have keys.
	synced []func() bool
}

// Close stops what Build started: the key sets' background refreshes and
// the ServiceAccount cache. The chain must not be used afterwards. Close may
// be called more than once.
func (b *Built) Close() {
	for _, c := range b.closers {
		c()
	}
	b.closers = nil
}

// Build builds the chain c describes, with the strategies' own
// constructors, so that every check they make applies. A configuration that
// Parse or Load did not return is validated first, as Parse validates, and
// its relative file references are resolved against the working directory.
// Every error but that of a nil ctx is an *Error with field paths.
// Background work (key-set
// refreshes, a cache Build starts) stops when ctx ends or Close is called.
//
// Key sets found by discovery or at a JWKS URL are fetched in the
// background: until a set is fetched, tokens of its issuer fail with 503.
func (c *ChainConfiguration) Build(ctx context.Context, deps Deps) (*Built, error) {
	if ctx == nil {
		return nil, errors.New("authnconfig: Build: nil context")
	}
	cfg, err := c.checked()
	if err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, cfg: cfg, deps: deps}
	chain := b.chain()
	if err := b.err(); err != nil {
		b.close()
		return nil, err
	}
	return &Built{Chain: chain, Projection: b.projection, Cache: b.cache, KeySets: b.keySets, closers: b.closers, synced: b.synced}, nil
}

// Projection returns what the chain c describes reads of a ServiceAccount,
// for a program that builds its own cache before calling Build: the zero
// Projection when no strategy reads ServiceAccounts. It returns an *Error
// when c is invalid.
func (c *ChainConfiguration) Projection() (kubecache.Projection, error) {
	cfg, err := c.checked()
	if err != nil {
		return kubecache.Projection{}, err
	}
	b := &builder{cfg: cfg, dry: true}
	b.strategies()
	b.close()
	if err := b.err(); err != nil {
		return kubecache.Projection{}, err
	}
	return b.projection, nil
}

// checked returns c if Parse checked it, and otherwise a checked copy.
func (c *ChainConfiguration) checked() (*ChainConfiguration, error) {
	if c.files != nil {
		return c, nil
	}
	cp := *c
	if err := cp.check(); err != nil {
		return nil, err
	}
	return &cp, nil
}

// builder builds the strategies of one configuration, collecting errors by
// field path. A dry builder uses stand-ins for every dependency.
type builder struct {
	ctx  context.Context
	cfg  *ChainConfiguration
	deps Deps
	dry  bool

	errs       field.ErrorList
	causes     []error
	closers    []func()
	synced     []func() bool
	keySets    []*jwks.OIDCKeys
	trust      authn.TrustPolicy
	projection kubecache.Projection
	cache      *kubecache.Cache
}

func (b *builder) close() {
	for _, c := range b.closers {
		c()
	}
	b.closers = nil
}

// fail records a constructor's error at the field path p.
func (b *builder) fail(p *field.Path, err error) {
	b.errs = append(b.errs, field.Invalid(p, field.OmitValueType{}, err.Error()))
	b.causes = append(b.causes, err)
}

// built takes a strategy constructor's results, as in
// b.built(p, name)(oidc.New(...)): it records the error at p, or returns
// the strategy under name (see named).
func (b *builder) built(p *field.Path, name string) func(authn.Strategy, error) authn.Strategy {
	return func(s authn.Strategy, err error) authn.Strategy {
		if err != nil {
			b.fail(p, err)
			return nil
		}
		return b.named(p, name, s)
	}
}

// named returns s under name, or s when name is "".
func (b *builder) named(p *field.Path, name string, s authn.Strategy) authn.Strategy {
	if name == "" {
		return s
	}
	named := authn.Named(name, s)
	if _, err := authn.NewChain(named); err != nil {
		// A chain of this strategy alone fails only for the name's syntax.
		b.errs = append(b.errs, field.Invalid(p.Child("name"), name, "must be 1 to 63 lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit"))
		return nil
	}
	return named
}

// err returns the errors recorded, as an *Error, or nil.
func (b *builder) err() *Error {
	if len(b.errs) == 0 {
		return nil
	}
	return &Error{Errors: b.errs, causes: b.causes}
}

// chain builds the strategies and the chain of them.
func (b *builder) chain() *authn.Chain {
	list := b.strategies()
	if rules := b.cfg.Spec.PrincipalValidationRules; len(rules) > 0 {
		compiled, errs := compileRules(field.NewPath("spec", "principalValidationRules"), principalVariable, rules)
		b.errs = append(b.errs, errs...)
		list = append(list, principalRules{rules: compiled})
	}
	if len(b.errs) > 0 {
		return nil
	}
	chain, err := authn.NewChain(list...)
	if err != nil {
		b.fail(field.NewPath("spec", "strategies"), err)
		return nil
	}
	if len(b.cfg.Spec.StripHeaders) > 0 {
		if chain, err = chain.WithStrippedHeaders(b.cfg.Spec.StripHeaders...); err != nil {
			b.fail(field.NewPath("spec", "stripHeaders"), err)
		}
	}
	return chain
}

// strategies builds each strategy; the trust policy comes first, since a
// token source may need it wherever the forwarded strategy stands.
func (b *builder) strategies() []authn.Strategy {
	path := field.NewPath("spec", "strategies")
	for i, s := range b.cfg.Spec.Strategies {
		if s.Forwarded != nil {
			b.trust = b.trustPolicy(path.Index(i).Child("forwarded", "trust"), s.Forwarded.Trust)
		}
	}
	var out []authn.Strategy
	for i, s := range b.cfg.Spec.Strategies {
		p := path.Index(i)
		var st authn.Strategy
		switch {
		case s.Forwarded != nil:
			st = b.forwarded(p.Child("forwarded"), s.Forwarded)
		case s.JWT != nil:
			st = b.jwt(p.Child("jwt"), s.JWT)
		case s.OIDC != nil:
			st = b.oidc(p.Child("oidc"), s.OIDC)
		case s.Assertion != nil:
			st = b.assertion(p.Child("assertion"), s.Assertion)
		case s.Pomerium != nil:
			st = b.pomerium(p.Child("pomerium"), s.Pomerium)
		case s.IAP != nil:
			st = b.iap(p.Child("iap"), s.IAP)
		case s.ALB != nil:
			st = b.alb(p.Child("alb"), s.ALB)
		case s.Teleport != nil:
			st = b.teleport(p.Child("teleport"), s.Teleport)
		case s.TokenReview != nil:
			st = b.tokenReview(p.Child("tokenReview"), s.TokenReview)
		case s.ServiceAccount != nil:
			var opts []strategies.ServiceAccountOption
			if s.ServiceAccount.InsecureBelieveForwardedSubjects {
				opts = append(opts, strategies.InsecureBelieveForwardedSubjects())
			}
			st = strategies.ServiceAccount(opts...)
		case s.Annotation != nil:
			st = b.annotation(p.Child("annotation"), s.Annotation)
		case s.Synthetic != nil:
			var opts []strategies.SyntheticOption
			if s.Synthetic.NameTemplate != "" {
				opts = append(opts, strategies.WithSyntheticName(s.Synthetic.name))
			}
			st = strategies.Synthetic(opts...)
		}
		if st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (b *builder) trustPolicy(p *field.Path, t Trust) authn.TrustPolicy {
	var policy authn.TrustPolicy
	var err error
	switch {
	case len(t.CIDRs) > 0:
		policy, err = strategies.TrustPeerCIDRs(t.CIDRs...)
		p = p.Child("cidrs")
	case t.ClientCertificate != nil:
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(b.cfg.files[p.Child("clientCertificate", "caFile").String()].data)
		policy, err = strategies.TrustClientCertificate(pool, t.ClientCertificate.Names...)
		p = p.Child("clientCertificate")
	case t.SharedSecret != nil:
		secret := b.cfg.files[p.Child("sharedSecret", "secretFile").String()].data
		policy, err = strategies.TrustSharedSecret(t.SharedSecret.Header, secret)
		p = p.Child("sharedSecret")
	case t.InsecureAnyPeer:
		policy = strategies.InsecureTrustAnyPeer()
	}
	if err != nil {
		b.fail(p, err)
		return nil
	}
	return policy
}

func (b *builder) forwarded(p *field.Path, f *Forwarded) authn.Strategy {
	if b.trust == nil {
		return nil // reported with the trust policy
	}
	var opts []strategies.ForwardedOption
	switch {
	case f.Headers != nil:
		opts = append(opts, strategies.WithHeaders(strategies.HeaderNames(*f.Headers)))
	case f.Preset != "":
		h, err := strategies.HeaderPreset(f.Preset)
		if err != nil {
			b.fail(p.Child("preset"), err)
			return nil
		}
		opts = append(opts, strategies.WithHeaders(h))
	}
	if f.MaxValueLength != nil {
		opts = append(opts, strategies.WithMaxValueLength(*f.MaxValueLength))
	}
	if f.MaxGroups != nil {
		opts = append(opts, strategies.WithMaxGroups(*f.MaxGroups))
	}
	return b.built(p, "")(strategies.Forwarded(b.trust, opts...))
}

func (b *builder) annotation(p *field.Path, a *Annotation) authn.Strategy {
	var opts []strategies.AnnotationOption
	if a.CreatorAnnotation != "" {
		opts = append(opts, strategies.WithCreatorAnnotation(a.CreatorAnnotation))
	}
	if a.CreatorUIDAnnotation != "" {
		opts = append(opts, strategies.WithCreatorUIDAnnotation(a.CreatorUIDAnnotation))
	}
	if a.BindingAnnotation != "" {
		opts = append(opts, strategies.WithBindingAnnotation(a.BindingAnnotation))
	}
	if len(a.RequireLabels) > 0 {
		opts = append(opts, strategies.RequireLabels(a.RequireLabels))
	}
	if len(a.RequireNamespaces) > 0 {
		opts = append(opts, strategies.RequireNamespaces(a.RequireNamespaces...))
	}
	if len(a.BindingKeyFiles) > 0 {
		keys := make([][]byte, len(a.BindingKeyFiles))
		for i := range a.BindingKeyFiles {
			keys[i] = b.cfg.files[p.Child("bindingKeyFiles").Index(i).String()].data
		}
		opts = append(opts, strategies.RequireSignedBinding(keys...))
	}
	if len(a.CopyAttributes) > 0 {
		opts = append(opts, strategies.CopyAttributes(a.CopyAttributes...))
	}
	if a.MaxHops != nil {
		opts = append(opts, strategies.WithMaxHops(*a.MaxHops))
	}
	if a.InsecureAcceptUnverifiedAnnotations {
		opts = append(opts, strategies.InsecureAcceptUnverifiedAnnotations())
	}
	if a.InsecureSkipWhenUnsynced {
		opts = append(opts, strategies.InsecureSkipWhenUnsynced())
	}
	// Built once against an empty reader, to learn the projection the cache
	// needs before the cache exists.
	probe, err := strategies.CreatorAnnotation(unsynced{}, opts...)
	if err != nil {
		b.fail(p, err)
		return nil
	}
	b.projection = kubecache.Projection(probe.Projection())
	if b.dry {
		return probe
	}
	sas := b.deps.ServiceAccounts
	if sas == nil {
		if b.deps.Kubernetes == nil {
			b.errs = append(b.errs, field.Required(p, "Build needs Deps.ServiceAccounts or Deps.Kubernetes to read ServiceAccounts"))
			return nil
		}
		ctx, cancel := context.WithCancel(b.ctx)
		c, err := kubecache.New(ctx, b.deps.Kubernetes, kubecache.WithProjection(b.projection))
		if err != nil {
			cancel()
			b.fail(p, err)
			return nil
		}
		b.cache = c
		b.closers = append(b.closers, func() { cancel(); c.Shutdown() })
		sas = c
	}
	if c, ok := sas.(*kubecache.Cache); ok {
		// A cache built by hand must keep what the chain reads.
		if err := c.CheckProjection(b.projection); err != nil {
			b.fail(p, err)
			return nil
		}
	}
	return b.built(p, "")(strategies.CreatorAnnotation(sas, opts...))
}

// unsynced is an empty ServiceAccount cache that never syncs.
type unsynced struct{}

func (unsynced) ServiceAccount(string, string) (strategies.ServiceAccountMeta, bool, error) {
	return strategies.ServiceAccountMeta{}, false, nil
}

func (unsynced) HasSynced() bool { return false }
