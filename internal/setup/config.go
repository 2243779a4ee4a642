package setup

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// Config describes the standard chain: forwarded headers, bearer tokens,
// the ServiceAccount subject rule, creator-annotation look-up and the
// synthetic fallback. It is the fixture of tests that need in-memory
// dependencies a configuration file cannot name (key sets, a TokenReview
// client, a clock); golden cases use authnconfig files.
type Config struct {
	// Headers names a header preset (see strategies.HeaderPreset); empty
	// means "oauth2-proxy".
	Headers string

	// Trust: at least one of these must be set.
	TrustCIDRs []string
	// TrustClientNames enables mTLS trust: allowed CN/SAN names of client
	// certificates that verify against ClientCAs.
	TrustClientNames []string
	ClientCAs        *x509.CertPool
	// TrustSecretHeader and TrustSecret enable shared-secret trust.
	TrustSecretHeader    string
	TrustSecret          string
	InsecureTrustAnyPeer bool

	// Annotation look-up and its provenance policy.
	Annotation string
	// CreatorUIDAnnotation names the annotation pinning a key created by a
	// key to its parent's uid; empty means
	// strategies.DefaultCreatorUIDAnnotation.
	CreatorUIDAnnotation     string
	RequireLabels            map[string]string
	RequireNamespaces        []string
	BindingKey               string
	InsecureAcceptUnverified bool
	InsecureSkipWhenUnsynced bool
	MaxHops                  int
	CopyAttributes           []string

	// Bearer tokens. Issuer turns on local verification of ServiceAccount
	// JWTs with Keys; TokenReviews turns on TokenReview. Both need
	// Audiences.
	Issuer                     string
	Keys                       jwks.KeySet
	Audiences                  []string
	InsecureAcceptLegacyTokens bool
	TokenReviews               authenticationv1client.TokenReviewInterface
	// TokenStrategies are further bearer-token strategies, such as package
	// oidc's, placed after the ServiceAccount token strategies; each takes
	// the tokens of its own issuer and leaves the others alone.
	TokenStrategies []authn.Strategy
	// ForwardedAccessToken says the proxy itself sets
	// X-Forwarded-Access-Token, so it may be read on trusted requests.
	ForwardedAccessToken bool
	// InsecureForwardedSubjectWithoutToken believes a forwarded
	// system:serviceaccount: subject that no verified token proved
	// (strategies.InsecureBelieveForwardedSubjects). By default such a
	// subject is refused.
	InsecureForwardedSubjectWithoutToken bool
	// BoundObjectKinds are the token bindings both token strategies accept
	// besides Pod, Node and Secret, such as
	// bearer.BoundValidatingWebhookConfiguration.
	BoundObjectKinds []string
	// Now is the clock of time-dependent strategies; nil is time.Now.
	Now func() time.Time
	// JWTCacheObserver and TokenReviewCacheObserver, if set, are told
	// what the token strategies' caches do; TokenReviewCallObserver is
	// given each TokenReview's code. For metrics (authnmetrics).
	JWTCacheObserver         bearer.CacheObserver
	TokenReviewCacheObserver bearer.CacheObserver
	TokenReviewCallObserver  func(code string)

	// NoSynthetic leaves the synthetic fallback out of the chain, so a key
	// without a creator is refused.
	NoSynthetic bool
	// NoForwarded leaves the forwarded-header strategy out, so identity
	// comes from bearer tokens alone; the chain still strips every identity
	// header. A trust policy is then needed only for ForwardedAccessToken.
	NoForwarded bool
	// StripHeaders are header patterns (names, or prefixes followed by "*")
	// the chain strips besides authn.DefaultIdentityHeaders and the headers
	// its strategies read.
	StripHeaders []string
}

// Chain builds the chain. The ServiceAccounts are read from sas.
func (c Config) Chain(sas strategies.ServiceAccountReader) (*authn.Chain, error) {
	var chain []authn.Strategy
	var trust authn.TrustPolicy
	if !c.NoForwarded || c.ForwardedAccessToken {
		var err error
		if trust, err = c.trust(); err != nil {
			return nil, err
		}
	}
	if !c.NoForwarded {
		forwarded, err := c.forwarded(trust)
		if err != nil {
			return nil, err
		}
		chain = append(chain, forwarded)
	}
	annotation, err := c.annotation(sas)
	if err != nil {
		return nil, err
	}
	tokens, err := c.tokenStrategies(trust)
	if err != nil {
		return nil, err
	}
	chain = append(chain, tokens...)
	var saOpts []strategies.ServiceAccountOption
	if c.InsecureForwardedSubjectWithoutToken {
		saOpts = append(saOpts, strategies.InsecureBelieveForwardedSubjects())
	}
	chain = append(chain, strategies.ServiceAccount(saOpts...), annotation)
	if !c.NoSynthetic {
		chain = append(chain, strategies.Synthetic())
	}
	built, err := authn.NewChain(chain...)
	if err != nil || len(c.StripHeaders) == 0 {
		return built, err
	}
	return built.WithStrippedHeaders(c.StripHeaders...)
}

// forwarded builds the forwarded-header strategy for the preset c.Headers.
func (c Config) forwarded(trust authn.TrustPolicy) (*strategies.ForwardedStrategy, error) {
	preset := c.Headers
	if preset == "" {
		preset = "oauth2-proxy"
	}
	headers, err := strategies.HeaderPreset(preset)
	if err != nil {
		return nil, err
	}
	return strategies.Forwarded(trust, strategies.WithHeaders(headers))
}

func (c Config) trust() (authn.TrustPolicy, error) {
	var policies []authn.TrustPolicy
	if len(c.TrustCIDRs) > 0 {
		p, err := strategies.TrustPeerCIDRs(c.TrustCIDRs...)
		if err != nil {
			return nil, err
		}
		policies = append(policies, p)
	}
	if len(c.TrustClientNames) > 0 {
		p, err := strategies.TrustClientCertificate(c.ClientCAs, c.TrustClientNames...)
		if err != nil {
			return nil, err
		}
		policies = append(policies, p)
	}
	if c.TrustSecretHeader != "" {
		p, err := strategies.TrustSharedSecret(c.TrustSecretHeader, []byte(c.TrustSecret))
		if err != nil {
			return nil, err
		}
		policies = append(policies, p)
	}
	if c.InsecureTrustAnyPeer {
		policies = append(policies, strategies.InsecureTrustAnyPeer())
	}
	switch len(policies) {
	case 0:
		return nil, errors.New("setup: no trust policy: set trusted CIDRs, client certificate names or a shared secret")
	case 1:
		return policies[0], nil
	default:
		return nil, fmt.Errorf("setup: %d trust policies configured; choose one", len(policies))
	}
}

// tokenStrategies returns the bearer-token strategies, local JWT
// verification first: it costs no API call, and a token for another issuer
// passes on to TokenReview.
func (c Config) tokenStrategies(trust authn.TrustPolicy) ([]authn.Strategy, error) {
	src := bearer.FromAuthorization()
	if c.ForwardedAccessToken {
		var err error
		if src, err = bearer.AlsoFromForwardedAccessToken(trust); err != nil {
			return nil, err
		}
	}
	var out []authn.Strategy
	if c.Issuer != "" {
		opts := []jwt.Option{jwt.WithAudiences(c.Audiences...), jwt.WithTokenSource(src)}
		if c.InsecureAcceptLegacyTokens {
			opts = append(opts, jwt.InsecureAcceptLegacySecretTokens())
		}
		if len(c.BoundObjectKinds) > 0 {
			opts = append(opts, jwt.WithBoundObjectKinds(c.BoundObjectKinds...))
		}
		if c.Now != nil {
			opts = append(opts, jwt.WithClock(c.Now))
		}
		if c.JWTCacheObserver != nil {
			opts = append(opts, jwt.WithCacheObserver(c.JWTCacheObserver))
		}
		local, err := jwt.ServiceAccount(c.Issuer, c.Keys, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, local)
	}
	if c.TokenReviews != nil {
		opts := []tokenreview.Option{tokenreview.WithAudiences(c.Audiences...), tokenreview.WithTokenSource(src)}
		if len(c.BoundObjectKinds) > 0 {
			opts = append(opts, tokenreview.WithBoundObjectKinds(c.BoundObjectKinds...))
		}
		if c.Now != nil {
			opts = append(opts, tokenreview.WithClock(c.Now))
		}
		if c.TokenReviewCacheObserver != nil {
			opts = append(opts, tokenreview.WithCacheObserver(c.TokenReviewCacheObserver))
		}
		if c.TokenReviewCallObserver != nil {
			opts = append(opts, tokenreview.WithCallObserver(c.TokenReviewCallObserver))
		}
		review, err := tokenreview.New(c.TokenReviews, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, review)
	}
	return append(out, c.TokenStrategies...), nil
}

// annotation builds the creator-annotation strategy of the chain.
func (c Config) annotation(sas strategies.ServiceAccountReader) (*strategies.AnnotationStrategy, error) {
	var opts []strategies.AnnotationOption
	if c.Annotation != "" {
		opts = append(opts, strategies.WithCreatorAnnotation(c.Annotation))
	}
	if c.CreatorUIDAnnotation != "" {
		opts = append(opts, strategies.WithCreatorUIDAnnotation(c.CreatorUIDAnnotation))
	}
	if len(c.RequireLabels) > 0 {
		opts = append(opts, strategies.RequireLabels(c.RequireLabels))
	}
	if len(c.RequireNamespaces) > 0 {
		opts = append(opts, strategies.RequireNamespaces(c.RequireNamespaces...))
	}
	if c.BindingKey != "" {
		opts = append(opts, strategies.RequireSignedBinding([]byte(c.BindingKey)))
	}
	if c.InsecureAcceptUnverified {
		opts = append(opts, strategies.InsecureAcceptUnverifiedAnnotations())
	}
	if c.InsecureSkipWhenUnsynced {
		opts = append(opts, strategies.InsecureSkipWhenUnsynced())
	}
	if c.MaxHops != 0 {
		opts = append(opts, strategies.WithMaxHops(c.MaxHops))
	}
	if len(c.CopyAttributes) > 0 {
		opts = append(opts, strategies.CopyAttributes(c.CopyAttributes...))
	}
	return strategies.CreatorAnnotation(sas, opts...)
}

// Unsynced is an empty ServiceAccount cache that never syncs: enough to
// build the annotation strategy and ask it what it reads, or to serve a
// chain whose cache is not ready.
type Unsynced struct{}

// ServiceAccount finds nothing.
func (Unsynced) ServiceAccount(string, string) (strategies.ServiceAccountMeta, bool, error) {
	return strategies.ServiceAccountMeta{}, false, nil
}

// HasSynced reports false.
func (Unsynced) HasSynced() bool { return false }

// Projection returns what the chain built from c reads of a ServiceAccount,
// as the annotation strategy built from c reports it (see
// strategies.AnnotationStrategy.Projection). A cache projected to it
// answers every request as a full cache would. For a c whose chain cannot
// be built, Chain returns the error and Projection the zero Projection.
func (c Config) Projection() kubecache.Projection {
	s, err := c.annotation(Unsynced{})
	if err != nil {
		return kubecache.Projection{}
	}
	return kubecache.Projection(s.Projection())
}
