package authnconfig

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// APIVersion and Kind identify a configuration file; both are required.
const (
	APIVersion = "authchain.dev/v1alpha1"
	Kind       = "ChainConfiguration"
)

// ChainConfiguration is a configuration file: the ordered strategies of one
// authn.Chain and their settings. Read it with Load or Parse, which refuse
// unknown fields and report every invalid setting; build it with Build.
type ChainConfiguration struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       Spec   `json:"spec"`

	// dir resolves relative file references; files holds what Parse read
	// from them, by field path, so that Build uses what was validated.
	dir   string
	files map[string]referencedFile
}

// Spec is the chain: its strategies, run in the order given, and the headers
// it strips besides those its strategies read.
type Spec struct {
	// Strategies must name at least one strategy.
	Strategies []Strategy `json:"strategies"`
	// StripHeaders are header patterns (names, or prefixes followed by
	// "*") every request loses before the handler runs, such as a header an
	// ingress sets for another application; see authn.NewHeaderSet.
	StripHeaders []string `json:"stripHeaders,omitempty"`
	// PrincipalValidationRules must all hold for the Principal the
	// strategies established, or the request is refused (401) with the
	// failing rule's message. Each is a CEL expression over the variable
	// principal, which mirrors the Principal's JSON encoding: user (name,
	// uid, email, groups, extra), actor (namespace, name, uid, attributes)
	// or null, credential (type, id, issuer, audiences, expiresAt, pod,
	// node, legacySecret, bindings) or null, synthetic and via. Every
	// field is present, empty when unset, except that actor, credential
	// and the credential's expiresAt, pod and node are null when absent. A
	// missing map key is an evaluation error, which refuses the request as
	// a false rule does: test it with has() or "in" first. The rules run
	// in order, in a strategy named "rules" appended to the chain.
	PrincipalValidationRules []ValidationRule `json:"principalValidationRules,omitempty"`
}

// ValidationRule is a CEL expression that must evaluate to true, and the
// message a request is refused with when it does not. Rules are compiled
// when the file is loaded: an expression that does not compile, does not
// give a bool, or whose estimated cost exceeds RuleCostLimit (see
// RuleEstimatedSize) is an error of the file. An evaluation that fails (a
// missing key, a function given a value of another type, more than
// RuleCostLimit spent) refuses the request: rules fail closed. Equality is
// not a function that fails: as CEL defines it, == between values of
// different types is false and != true, so
// "principal.user.extra['role'] != 'admin'" holds for the list ['admin'].
// Write a rule so that a value of an unexpected type makes it false:
// "!('admin' in principal.user.extra['role'])", or test type() first.
type ValidationRule struct {
	// Expression is the CEL expression, at most 4 KiB.
	Expression string `json:"expression"`
	// Message is the response body of a refused request: one printable
	// line of at most 256 bytes. It is all a client learns; the log's
	// detail names the rule.
	Message string `json:"message"`
}

// Strategy is one step of the chain. Exactly one field is set; it names the
// kind of strategy, and a kind written without settings ("- synthetic:")
// has none. Every kind but jwt, oidc and assertion may appear once, and
// synthetic only last.
type Strategy struct {
	Forwarded      *Forwarded      `json:"forwarded,omitempty"`
	JWT            *JWT            `json:"jwt,omitempty"`
	OIDC           *OIDC           `json:"oidc,omitempty"`
	Assertion      *Assertion      `json:"assertion,omitempty"`
	Pomerium       *Pomerium       `json:"pomerium,omitempty"`
	IAP            *IAP            `json:"iap,omitempty"`
	ALB            *ALB            `json:"alb,omitempty"`
	Teleport       *Teleport       `json:"teleport,omitempty"`
	TokenReview    *TokenReview    `json:"tokenReview,omitempty"`
	ServiceAccount *ServiceAccount `json:"serviceAccount,omitempty"`
	Annotation     *Annotation     `json:"annotation,omitempty"`
	Synthetic      *Synthetic      `json:"synthetic,omitempty"`
}

// Forwarded configures strategies.Forwarded: the identity headers of a
// proxy, believed only on requests its Trust proves came from the proxy.
type Forwarded struct {
	// Preset names a header set of strategies.HeaderPreset: "oauth2-proxy"
	// (the default), "openshift", "nginx" or "front-proxy". It excludes
	// Headers.
	Preset string `json:"preset,omitempty"`
	// Headers names the headers one by one, for a proxy no preset fits.
	Headers *HeaderNames `json:"headers,omitempty"`
	// MaxValueLength and MaxGroups bound what one request may carry; see
	// strategies.WithMaxValueLength and strategies.WithMaxGroups.
	MaxValueLength *int `json:"maxValueLength,omitempty"`
	MaxGroups      *int `json:"maxGroups,omitempty"`
	// Trust proves a request came from the proxy; it is required.
	Trust Trust `json:"trust"`
}

// HeaderNames mirrors strategies.HeaderNames; User is required.
type HeaderNames struct {
	User                string `json:"user"`
	UID                 string `json:"uid,omitempty"`
	Email               string `json:"email,omitempty"`
	PreferredUsername   string `json:"preferredUsername,omitempty"`
	Groups              string `json:"groups,omitempty"`
	SplitGroupsOnCommas bool   `json:"splitGroupsOnCommas,omitempty"`
	ExtraPrefix         string `json:"extraPrefix,omitempty"`
}

// Trust is the trust policy of the forwarded strategy, which also guards a
// token read from X-Forwarded-Access-Token. Exactly one field is set.
type Trust struct {
	// CIDRs trusts connection peers in these networks
	// (strategies.TrustPeerCIDRs).
	CIDRs []string `json:"cidrs,omitempty"`
	// ClientCertificate trusts a client certificate of the proxy
	// (strategies.TrustClientCertificate).
	ClientCertificate *ClientCertificateTrust `json:"clientCertificate,omitempty"`
	// SharedSecret trusts a secret the proxy sends in a header
	// (strategies.TrustSharedSecret).
	SharedSecret *SharedSecretTrust `json:"sharedSecret,omitempty"`
	// InsecureAnyPeer trusts every request (strategies.InsecureTrustAnyPeer),
	// for tests and local development only.
	InsecureAnyPeer bool `json:"insecureAnyPeer,omitempty"`
}

// ClientCertificateTrust trusts a client certificate that verifies against
// the PEM certificates of CAFile and names one of Names (Subject CommonName
// or a DNS SAN). Both are required.
type ClientCertificateTrust struct {
	CAFile string   `json:"caFile"`
	Names  []string `json:"names"`
}

// SharedSecretTrust trusts a request carrying, in Header, the secret held by
// SecretFile: at least strategies.MinSharedSecretLen bytes, without a line
// break (no header value can carry one). Both are required.
type SharedSecretTrust struct {
	Header     string `json:"header"`
	SecretFile string `json:"secretFile"`
}

// ServiceAccount configures strategies.ServiceAccount, which refuses a
// forwarded system:serviceaccount: subject that no token proved.
type ServiceAccount struct {
	// InsecureBelieveForwardedSubjects believes such a subject anyway; see
	// strategies.InsecureBelieveForwardedSubjects.
	InsecureBelieveForwardedSubjects bool `json:"insecureBelieveForwardedSubjects,omitempty"`
}

// Annotation configures strategies.CreatorAnnotation, which finds the human
// who created an access key's ServiceAccount. It needs a provenance check
// (RequireLabels, RequireNamespaces or BindingKeyFiles) unless
// InsecureAcceptUnverifiedAnnotations is set.
type Annotation struct {
	// CreatorAnnotation, CreatorUIDAnnotation and BindingAnnotation name
	// the annotations read; empty means the strategies package's default.
	CreatorAnnotation    string `json:"creatorAnnotation,omitempty"`
	CreatorUIDAnnotation string `json:"creatorUIDAnnotation,omitempty"`
	BindingAnnotation    string `json:"bindingAnnotation,omitempty"`
	// RequireLabels and RequireNamespaces trust an annotation only on a
	// ServiceAccount with these labels, in these namespaces.
	RequireLabels     map[string]string `json:"requireLabels,omitempty"`
	RequireNamespaces []string          `json:"requireNamespaces,omitempty"`
	// BindingKeyFiles hold the keys a signed binding is verified with
	// (strategies.RequireSignedBinding), newest first; each file is one key
	// of at least binding.MinKeyLen bytes, used byte for byte (a trailing
	// newline is part of the key), as the key service must use it.
	BindingKeyFiles []string `json:"bindingKeyFiles,omitempty"`
	// CopyAttributes are labels or annotations copied into
	// Principal.Actor.Attributes (strategies.CopyAttributes).
	CopyAttributes []string `json:"copyAttributes,omitempty"`
	// MaxHops bounds the keys created by keys followed to a human; at least
	// 1 when set.
	MaxHops *int `json:"maxHops,omitempty"`
	// InsecureAcceptUnverifiedAnnotations allows no provenance check;
	// InsecureSkipWhenUnsynced passes keys on while the cache is not synced.
	InsecureAcceptUnverifiedAnnotations bool `json:"insecureAcceptUnverifiedAnnotations,omitempty"`
	InsecureSkipWhenUnsynced            bool `json:"insecureSkipWhenUnsynced,omitempty"`
}

// Token sources of JWT.TokenSource and TokenReview.TokenSource.
const (
	// TokenFromAuthorization reads the bearer token of the Authorization
	// header only; it is the default.
	TokenFromAuthorization = "authorization"
	// TokenFromForwardedAccessToken also reads X-Forwarded-Access-Token on
	// requests the forwarded strategy's trust policy proves came from the
	// proxy (bearer.AlsoFromForwardedAccessToken); it needs a forwarded
	// strategy in the chain.
	TokenFromForwardedAccessToken = "forwardedAccessToken"
)

// JWT configures one jwt.ServiceAccount strategy, which verifies an issuer's
// ServiceAccount tokens locally. A chain may hold any number, one per issuer,
// each under its own Name.
type JWT struct {
	// Name is the strategy's name in the chain; empty means "jwt".
	Name string `json:"name,omitempty"`
	// Issuer is the tokens' iss; it is required.
	Issuer string `json:"issuer"`
	// Discovery fetches the issuer's keys by OIDC discovery (jwks.OIDC);
	// JWKSURL fetches them from a fixed https URL, without discovery
	// (jwks.URL), both kept current in the background; JWKSFile reads them
	// from a file (jwks.Static: a JWKS or PEM public keys). Exactly one is
	// set.
	Discovery *Discovery `json:"discovery,omitempty"`
	JWKSURL   string     `json:"jwksURL,omitempty"`
	JWKSFile  string     `json:"jwksFile,omitempty"`
	// Audiences a token must name one of; at least one is required.
	Audiences []string `json:"audiences"`
	// Algorithms, BoundObjectKinds and ClockSkew: see jwt.WithAlgorithms,
	// jwt.WithBoundObjectKinds and jwt.WithClockSkew.
	Algorithms       []string         `json:"algorithms,omitempty"`
	BoundObjectKinds []string         `json:"boundObjectKinds,omitempty"`
	ClockSkew        *metav1.Duration `json:"clockSkew,omitempty"`
	// Cache bounds the cache of verified tokens.
	Cache *JWTCache `json:"cache,omitempty"`
	// TokenSource is TokenFromAuthorization (the default) or
	// TokenFromForwardedAccessToken.
	TokenSource string `json:"tokenSource,omitempty"`
	// InsecureAcceptLegacySecretTokens: see
	// jwt.InsecureAcceptLegacySecretTokens.
	InsecureAcceptLegacySecretTokens bool `json:"insecureAcceptLegacySecretTokens,omitempty"`
	// ClaimValidationRules must all hold for a verified token's claims, or
	// the token is refused (401) with the failing rule's message. Each is a
	// CEL expression over the variable claims, the token's payload as a
	// map (numbers are doubles), such as
	// "claims['kubernetes.io'].namespace.startsWith('team-')". They run
	// after every other check of the token (see jwt.WithClaimsCheck), and
	// fail closed as PrincipalValidationRules do.
	ClaimValidationRules []ValidationRule `json:"claimValidationRules,omitempty"`
}

// OIDC configures one oidc.New strategy, which verifies an OpenID Connect
// issuer's ID tokens locally and maps their claims into the User. A chain
// may hold any number, one per issuer, each under its own Name; tokens go
// to the strategy of their iss, beside the jwt strategies.
type OIDC struct {
	// Name is the strategy's name in the chain; empty means "oidc".
	Name string `json:"name,omitempty"`
	// Issuer is the tokens' iss, exactly; it is required.
	Issuer string `json:"issuer"`
	// Discovery, JWKSURL and JWKSFile are as in JWT; exactly one is set.
	Discovery *Discovery `json:"discovery,omitempty"`
	JWKSURL   string     `json:"jwksURL,omitempty"`
	JWKSFile  string     `json:"jwksFile,omitempty"`
	// Audiences are the OAuth client ids a token must name one of; at
	// least one is required.
	Audiences []string `json:"audiences"`
	// Algorithms, ClockSkew, Cache and TokenSource are as in JWT.
	Algorithms  []string         `json:"algorithms,omitempty"`
	ClockSkew   *metav1.Duration `json:"clockSkew,omitempty"`
	Cache       *JWTCache        `json:"cache,omitempty"`
	TokenSource string           `json:"tokenSource,omitempty"`
	// ClaimValidationRules are as in JWT, over the ID token's claims.
	ClaimValidationRules []ValidationRule `json:"claimValidationRules,omitempty"`
	// ClaimMappings make the User from the claims; without them the name
	// is the issuer, "#" and sub, as Kubernetes names it.
	ClaimMappings *ClaimMappings `json:"claimMappings,omitempty"`
}

// Assertion configures one verify.New strategy, which believes the signed
// assertions another service's assertion.Signer minted (read from the
// Authchain-Assertion header) and rebuilds their Principal. A chain may
// hold any number, one per minting service, each under its own Name.
type Assertion struct {
	// Name is the strategy's name in the chain; empty means "assertion".
	Name string `json:"name,omitempty"`
	// Issuer is the minting service's issuer URL, exactly; it is required.
	Issuer string `json:"issuer"`
	// Discovery, JWKSURL and JWKSFile are as in JWT; exactly one is set.
	// Discovery needs the minting service to serve
	// /.well-known/openid-configuration beside its key set; JWKSURL names
	// the key set itself (its /.well-known/jwks.json).
	Discovery *Discovery `json:"discovery,omitempty"`
	JWKSURL   string     `json:"jwksURL,omitempty"`
	JWKSFile  string     `json:"jwksFile,omitempty"`
	// Audiences are the names this service answers to, one of which an
	// assertion must name; at least one is required.
	Audiences []string `json:"audiences"`
	// Algorithms and ClockSkew: see verify.WithAlgorithms and
	// verify.WithClockSkew.
	Algorithms []string         `json:"algorithms,omitempty"`
	ClockSkew  *metav1.Duration `json:"clockSkew,omitempty"`
	// ReplayCacheSize, when set, refuses an assertion presented again; see
	// verify.WithReplayCache.
	ReplayCacheSize *int `json:"replayCacheSize,omitempty"`
}

// ClaimMappings make the User from a verified ID token's claims, in the
// shape of Kubernetes' AuthenticationConfiguration. Each field takes a claim
// by name or a CEL expression over the variable claims, not both. An
// expression is compiled at load, under RuleCostLimit; one that fails when
// it runs, or gives a value of the wrong type, refuses the request (401)
// with a reason that names the field. Mappings write the User only, never
// the Actor or its attributes.
type ClaimMappings struct {
	// Username is required when ClaimMappings is set. With Claim, Prefix
	// must be set too ("" for none); a claim "email" is refused when
	// email_verified is present and not true. An expression gives a
	// string, used as it is; one that reads claims.email is refused at
	// load unless claims.email_verified is read too (by it, an extra
	// mapping or a claim validation rule), and must then check it.
	Username *PrefixedClaimOrExpression `json:"username,omitempty"`
	// Groups: a claim or expression giving a string or a list of strings;
	// with Claim, Prefix must be set too.
	Groups *PrefixedClaimOrExpression `json:"groups,omitempty"`
	// UID and Email: a claim or expression giving a string.
	UID   *ClaimOrExpression `json:"uid,omitempty"`
	Email *ClaimOrExpression `json:"email,omitempty"`
	// Extra adds User.Extra entries.
	Extra []ExtraMapping `json:"extra,omitempty"`
}

// PrefixedClaimOrExpression is a claim with a prefix, or an expression.
type PrefixedClaimOrExpression struct {
	Claim      string  `json:"claim,omitempty"`
	Prefix     *string `json:"prefix,omitempty"`
	Expression string  `json:"expression,omitempty"`
}

// ClaimOrExpression is a claim or an expression.
type ClaimOrExpression struct {
	Claim      string `json:"claim,omitempty"`
	Expression string `json:"expression,omitempty"`
}

// ExtraMapping is one User.Extra entry: Key, a lower-case key with a
// domain prefix ("example.com/tenant"), and ValueExpression, a CEL
// expression giving a string or a list of strings; empty strings are
// left out, and a key without values is not set.
type ExtraMapping struct {
	Key             string `json:"key"`
	ValueExpression string `json:"valueExpression"`
}

// Discovery configures jwks.OIDC; every field is optional.
type Discovery struct {
	// Origins are further origins the JWKS may be served from.
	Origins            []string         `json:"origins,omitempty"`
	RefreshInterval    *metav1.Duration `json:"refreshInterval,omitempty"`
	MinRefreshInterval *metav1.Duration `json:"minRefreshInterval,omitempty"`
	MaxStaleness       *metav1.Duration `json:"maxStaleness,omitempty"`
}

// JWTCache configures the cache of verified tokens (jwt.WithCacheSize,
// jwt.WithCacheTTL); a TTL of 0 turns it off.
type JWTCache struct {
	Size *int             `json:"size,omitempty"`
	TTL  *metav1.Duration `json:"ttl,omitempty"`
}

// TokenReview configures tokenreview.New, which asks the API server about
// bearer tokens.
type TokenReview struct {
	// Audiences the token must be valid for; at least one is required.
	Audiences []string `json:"audiences"`
	// BoundObjectKinds: see tokenreview.WithBoundObjectKinds.
	BoundObjectKinds []string `json:"boundObjectKinds,omitempty"`
	// TokenSource is as in JWT.
	TokenSource string `json:"tokenSource,omitempty"`
	// Limits bound the reviews; Cache the answers kept.
	Limits *ReviewLimits `json:"limits,omitempty"`
	Cache  *ReviewCache  `json:"cache,omitempty"`
	// InsecureOpaqueTokens: see tokenreview.InsecureOpaqueTokens.
	InsecureOpaqueTokens bool `json:"insecureOpaqueTokens,omitempty"`
}

// ReviewLimits bound TokenReviews (tokenreview.WithRateLimit,
// WithMaxInFlight, WithTimeout). Rate and Burst are set together.
type ReviewLimits struct {
	Rate        *float64         `json:"rate,omitempty"`
	Burst       *int             `json:"burst,omitempty"`
	MaxInFlight *int             `json:"maxInFlight,omitempty"`
	Timeout     *metav1.Duration `json:"timeout,omitempty"`
}

// ReviewCache bounds the cached answers (tokenreview.WithCacheSize,
// WithCacheTTL). The sizes are set together, and so are the TTLs.
type ReviewCache struct {
	SuccessSize *int             `json:"successSize,omitempty"`
	FailureSize *int             `json:"failureSize,omitempty"`
	SuccessTTL  *metav1.Duration `json:"successTTL,omitempty"`
	FailureTTL  *metav1.Duration `json:"failureTTL,omitempty"`
}

// Synthetic configures strategies.Synthetic, the stand-in user of a key
// whose human is unknown.
type Synthetic struct {
	// NameTemplate names the stand-in from the key's ServiceAccount:
	// {namespace} and {name} are replaced by its namespace and name. It must
	// start with authn.SyntheticNamePrefix and contain {name}. Empty means
	// the default, authn.LegacyID of the subject.
	NameTemplate string `json:"nameTemplate,omitempty"`
}

// Pomerium configures signed.Pomerium, which believes the
// X-Pomerium-Jwt-Assertion header Pomerium signs for one route.
type Pomerium struct {
	// Name is the strategy's name in the chain; empty means the kind's.
	// A chain may hold several of a kind, each under its own name.
	Name string `json:"name,omitempty"`
	// Route is the host name of the route's From URL; it is required.
	Route string `json:"route"`
	// Issuers replace the iss values accepted, which by default is Route
	// (signed.WithIssuers).
	Issuers []string `json:"issuers,omitempty"`
	// JWKSURL (usually https://ROUTE/.well-known/pomerium/jwks.json, kept
	// current with jwks.URL) or JWKSFile (jwks.Static); exactly one is set.
	JWKSURL  string `json:"jwksURL,omitempty"`
	JWKSFile string `json:"jwksFile,omitempty"`
	// UserClaim names the user ("email" by default; signed.WithUserClaim);
	// GroupsPrefix goes in front of every group (signed.WithGroupsPrefix).
	UserClaim    string `json:"userClaim,omitempty"`
	GroupsPrefix string `json:"groupsPrefix,omitempty"`
}

// IAP configures signed.IAP, which believes the X-Goog-Iap-Jwt-Assertion
// header Google Cloud Identity-Aware Proxy signs.
type IAP struct {
	// Name is the strategy's name in the chain; empty means the kind's.
	// A chain may hold several of a kind, each under its own name.
	Name string `json:"name,omitempty"`
	// Audience is the protected resource: /projects/NUMBER/global/backendServices/ID
	// or /projects/NUMBER/apps/PROJECT_ID; it is required.
	Audience string `json:"audience"`
	// JWKSURL defaults to signed.IAPKeysURL, kept current with jwks.URL;
	// JWKSFile reads the keys from a file instead. At most one is set.
	JWKSURL  string `json:"jwksURL,omitempty"`
	JWKSFile string `json:"jwksFile,omitempty"`
}

// ALB configures signed.ALB, which believes the X-Amzn-Oidc-Data header an
// AWS Application Load Balancer signs, with the keys signed.ALBKeys fetches
// for Region. Every field is required.
type ALB struct {
	// Name is the strategy's name in the chain; empty means the kind's.
	// A chain may hold several of a kind, each under its own name.
	Name            string `json:"name,omitempty"`
	Region          string `json:"region"`
	LoadBalancerARN string `json:"loadBalancerARN"`
	// Issuer and ClientID are those of the listener rule's identity
	// provider.
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientID"`
}

// Teleport configures signed.Teleport, which believes the
// Teleport-Jwt-Assertion header Teleport's application access signs.
type Teleport struct {
	// Name is the strategy's name in the chain; empty means the kind's.
	// A chain may hold several of a kind, each under its own name.
	Name string `json:"name,omitempty"`
	// Cluster (the iss) and AppURI (the aud) are required.
	Cluster string `json:"cluster"`
	AppURI  string `json:"appURI"`
	// JWKSURL (the proxy's /.well-known/jwks.json, kept current with
	// jwks.URL) or JWKSFile (jwks.Static); exactly one is set.
	JWKSURL  string `json:"jwksURL,omitempty"`
	JWKSFile string `json:"jwksFile,omitempty"`
	// GroupsPrefix goes in front of every role (signed.WithGroupsPrefix);
	// Traits are copied into User.Extra (signed.WithTraits).
	GroupsPrefix string   `json:"groupsPrefix,omitempty"`
	Traits       []string `json:"traits,omitempty"`
}
