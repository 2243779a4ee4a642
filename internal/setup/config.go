package setup

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// Config describes the standard chain: forwarded headers, ServiceAccount
// subject detection, creator-annotation look-up and the synthetic fallback.
// Its JSON form is the config.json section of a golden case.
type Config struct {
	// Headers names a header preset (see strategies.HeaderPreset); empty
	// means "oauth2-proxy".
	Headers string `json:"headers,omitempty"`

	// Trust: at least one of these must be set.
	TrustCIDRs []string `json:"trustCIDRs,omitempty"`
	// TrustClientNames enables mTLS trust: allowed CN/SAN names of client
	// certificates that verify against ClientCAs.
	TrustClientNames []string       `json:"trustClientNames,omitempty"`
	ClientCAs        *x509.CertPool `json:"-"`
	// TrustSecretHeader and TrustSecret enable shared-secret trust.
	TrustSecretHeader    string `json:"trustSecretHeader,omitempty"`
	TrustSecret          string `json:"trustSecret,omitempty"`
	InsecureTrustAnyPeer bool   `json:"insecureTrustAnyPeer,omitempty"`

	// Annotation look-up and its provenance policy.
	Annotation               string            `json:"annotation,omitempty"`
	RequireLabels            map[string]string `json:"requireLabels,omitempty"`
	RequireNamespaces        []string          `json:"requireNamespaces,omitempty"`
	BindingKey               string            `json:"bindingKey,omitempty"`
	InsecureAcceptUnverified bool              `json:"insecureAcceptUnverified,omitempty"`
	InsecureSkipWhenUnsynced bool              `json:"insecureSkipWhenUnsynced,omitempty"`
	MaxHops                  int               `json:"maxHops,omitempty"`
	CopyAttributes           []string          `json:"copyAttributes,omitempty"`

	// Bearer tokens. Issuer turns on local verification of ServiceAccount
	// JWTs with Keys; TokenReviews turns on TokenReview. Both need
	// Audiences.
	Issuer                     string                                      `json:"issuer,omitempty"`
	Keys                       strategies.KeySet                           `json:"-"`
	Audiences                  []string                                    `json:"audiences,omitempty"`
	InsecureAcceptLegacyTokens bool                                        `json:"insecureAcceptLegacyTokens,omitempty"`
	TokenReviews               authenticationv1client.TokenReviewInterface `json:"-"`
	// ForwardedAccessToken says the proxy itself sets
	// X-Forwarded-Access-Token, so it may be read on trusted requests.
	ForwardedAccessToken bool `json:"forwardedAccessToken,omitempty"`
	// BoundObjectKinds are the token bindings both token strategies accept
	// besides Pod, Node and Secret, such as
	// strategies.BoundValidatingWebhookConfiguration.
	BoundObjectKinds []string `json:"boundObjectKinds,omitempty"`
	// Now is the clock of time-dependent strategies; nil is time.Now.
	Now func() time.Time `json:"-"`

	// NoSynthetic leaves the synthetic fallback out of the chain, so a key
	// without a creator is refused.
	NoSynthetic bool `json:"noSynthetic,omitempty"`
}

// Chain builds the chain. The ServiceAccounts are read from lister, whose
// informer reports readiness through hasSynced.
func (c Config) Chain(lister corev1listers.ServiceAccountLister, hasSynced func() bool) (*authn.Chain, error) {
	trust, err := c.trust()
	if err != nil {
		return nil, err
	}
	preset := c.Headers
	if preset == "" {
		preset = "oauth2-proxy"
	}
	headers, err := strategies.HeaderPreset(preset)
	if err != nil {
		return nil, err
	}
	forwarded, err := strategies.Forwarded(trust, strategies.WithHeaders(headers))
	if err != nil {
		return nil, err
	}
	annotation, err := strategies.CreatorAnnotation(lister, hasSynced, c.annotationOptions()...)
	if err != nil {
		return nil, err
	}
	tokens, err := c.tokenStrategies(trust)
	if err != nil {
		return nil, err
	}
	chain := append([]authn.Strategy{forwarded}, tokens...)
	chain = append(chain, strategies.ServiceAccount(), annotation)
	if !c.NoSynthetic {
		chain = append(chain, strategies.Synthetic())
	}
	return authn.NewChain(chain...)
}

func (c Config) trust() (strategies.TrustPolicy, error) {
	var policies []strategies.TrustPolicy
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
func (c Config) tokenStrategies(trust strategies.TrustPolicy) ([]authn.Strategy, error) {
	src := strategies.TokensFromAuthorization()
	if c.ForwardedAccessToken {
		var err error
		if src, err = strategies.TokensAlsoFromForwardedAccessToken(trust); err != nil {
			return nil, err
		}
	}
	var out []authn.Strategy
	if c.Issuer != "" {
		opts := []strategies.JWTOption{strategies.WithAudiences(c.Audiences...), strategies.WithJWTTokenSource(src)}
		if c.InsecureAcceptLegacyTokens {
			opts = append(opts, strategies.InsecureAcceptLegacySecretTokens())
		}
		if len(c.BoundObjectKinds) > 0 {
			opts = append(opts, strategies.WithBoundObjectKinds(c.BoundObjectKinds...))
		}
		if c.Now != nil {
			opts = append(opts, strategies.WithJWTClock(c.Now))
		}
		jwt, err := strategies.ServiceAccountJWT(c.Issuer, c.Keys, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, jwt)
	}
	if c.TokenReviews != nil {
		opts := []strategies.TokenReviewOption{strategies.WithReviewAudiences(c.Audiences...), strategies.WithReviewTokenSource(src)}
		if len(c.BoundObjectKinds) > 0 {
			opts = append(opts, strategies.WithReviewBoundObjectKinds(c.BoundObjectKinds...))
		}
		if c.Now != nil {
			opts = append(opts, strategies.WithReviewClock(c.Now))
		}
		review, err := strategies.TokenReview(c.TokenReviews, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, review)
	}
	return out, nil
}

func (c Config) annotationOptions() []strategies.AnnotationOption {
	var opts []strategies.AnnotationOption
	if c.Annotation != "" {
		opts = append(opts, strategies.WithCreatorAnnotation(c.Annotation))
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
	return opts
}

// Projection returns what the chain built from c reads of a ServiceAccount:
// the required labels, the creator and binding annotations, and the
// attributes it copies (as labels and as annotations, since CopyAttributes
// reads either). A cache projected to it answers every request as a full
// cache would.
func (c Config) Projection() kubecache.Projection {
	var p kubecache.Projection
	for k := range c.RequireLabels {
		p.Labels = append(p.Labels, k)
	}
	creator := c.Annotation
	if creator == "" {
		creator = strategies.DefaultCreatorAnnotation
	}
	p.Annotations = append(p.Annotations, creator)
	if c.BindingKey != "" {
		p.Annotations = append(p.Annotations, strategies.DefaultBindingAnnotation)
	}
	p.Labels = append(p.Labels, c.CopyAttributes...)
	p.Annotations = append(p.Annotations, c.CopyAttributes...)
	slices.Sort(p.Labels)
	slices.Sort(p.Annotations)
	p.Labels = slices.Compact(p.Labels)
	p.Annotations = slices.Compact(p.Annotations)
	return p
}
