package authnconfig

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn"
)

// presets are the names strategies.HeaderPreset knows.
var presets = []string{"oauth2-proxy", "openshift", "nginx", "front-proxy"}

var tokenSources = []string{TokenFromAuthorization, TokenFromForwardedAccessToken}

// validate checks the settings that need no file and no constructor; what
// the constructors check is left to them (see builder).
func (c *ChainConfiguration) validate() field.ErrorList {
	var errs field.ErrorList
	if c.APIVersion == "" {
		errs = append(errs, field.Required(field.NewPath("apiVersion"), ""))
	} else if c.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), c.APIVersion, []string{APIVersion}))
	}
	if c.Kind == "" {
		errs = append(errs, field.Required(field.NewPath("kind"), ""))
	} else if c.Kind != Kind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), c.Kind, []string{Kind}))
	}
	_, rerrs := compileRules(field.NewPath("spec", "principalValidationRules"), principalVariable, c.Spec.PrincipalValidationRules)
	errs = append(errs, rerrs...)
	path := field.NewPath("spec", "strategies")
	if len(c.Spec.Strategies) == 0 {
		return append(errs, field.Required(path, "a chain needs at least one strategy"))
	}
	hasForwarded := false
	// names holds the names a jwt strategy may not take: those of the other
	// kinds present, and of the jwt strategies before it.
	names := map[string]bool{}
	if len(c.Spec.PrincipalValidationRules) > 0 {
		names[rulesStrategyName] = true
	}
	for _, s := range c.Spec.Strategies {
		hasForwarded = hasForwarded || s.Forwarded != nil
		if !s.perIssuer() {
			names[s.name()] = true
		}
	}
	kindAt := map[string]int{}
	// issuers holds the issuers of the strategies that read bearer tokens
	// (jwt, oidc) and, apart, of the assertion strategies: a second
	// strategy for one issuer would never see its tokens, which the first
	// decides.
	issuers := map[[2]string]bool{}
	for i, s := range c.Spec.Strategies {
		p := path.Index(i)
		kinds := s.kinds()
		switch {
		case len(kinds) == 0:
			errs = append(errs, field.Required(p, "set one of forwarded, jwt, oidc, assertion, pomerium, iap, alb, teleport, tokenReview, serviceAccount, annotation, synthetic"))
			continue
		case len(kinds) > 1:
			for _, k := range kinds[1:] {
				errs = append(errs, field.Forbidden(p.Child(k), "a strategy sets exactly one kind, and this one sets "+kinds[0]+" already"))
			}
			continue
		}
		kind := kinds[0]
		if _, seen := kindAt[kind]; seen && !s.perIssuer() {
			errs = append(errs, field.Duplicate(p.Child(kind), kind))
		}
		kindAt[kind] = i
		if kind == "synthetic" && i != len(c.Spec.Strategies)-1 {
			errs = append(errs, field.Forbidden(p.Child(kind), "synthetic must be the last strategy: no strategy after it could apply"))
		}
		if s.perIssuer() {
			name := s.name()
			if names[name] {
				errs = append(errs, field.Duplicate(p.Child(kind, "name"), name))
			}
			names[name] = true
			// jwt and oidc read one header, so they share issuers; every
			// other kind reads its own.
			fieldName, issuer := s.issuer()
			key := [2]string{kind, issuer}
			if kind == "jwt" || kind == "oidc" {
				key[0] = "bearer"
			}
			if issuer != "" && issuers[key] {
				errs = append(errs, field.Duplicate(p.Child(kind, fieldName), issuer))
			}
			issuers[key] = true
		}
		switch kind {
		case "forwarded":
			errs = append(errs, s.Forwarded.validate(p.Child(kind))...)
		case "jwt":
			errs = append(errs, s.JWT.validate(p.Child(kind), hasForwarded)...)
		case "oidc":
			errs = append(errs, s.OIDC.validate(p.Child(kind), hasForwarded)...)
		case "assertion":
			errs = append(errs, s.Assertion.validate(p.Child(kind))...)
		case "pomerium":
			errs = append(errs, s.Pomerium.validate(p.Child(kind))...)
		case "iap":
			errs = append(errs, s.IAP.validate(p.Child(kind))...)
		case "alb":
			errs = append(errs, s.ALB.validate(p.Child(kind))...)
		case "teleport":
			errs = append(errs, s.Teleport.validate(p.Child(kind))...)
		case "tokenReview":
			errs = append(errs, s.TokenReview.validate(p.Child(kind), hasForwarded)...)
		case "annotation":
			errs = append(errs, s.Annotation.validate(p.Child(kind))...)
		case "synthetic":
			errs = append(errs, s.Synthetic.validate(p.Child(kind))...)
		}
	}
	return errs
}

// issuer is what a per-issuer strategy answers for, which two of one kind
// may not share: the issuer of a jwt, oidc or assertion strategy, a
// Pomerium route, an IAP audience, an ALB load balancer, a Teleport app.
// It returns the field that holds it too.
func (s Strategy) issuer() (fieldName, value string) {
	switch {
	case s.JWT != nil:
		return "issuer", s.JWT.Issuer
	case s.OIDC != nil:
		return "issuer", s.OIDC.Issuer
	case s.Assertion != nil:
		return "issuer", s.Assertion.Issuer
	case s.Pomerium != nil:
		return "route", s.Pomerium.Route
	case s.IAP != nil:
		return "audience", s.IAP.Audience
	case s.ALB != nil:
		return "loadBalancerARN", s.ALB.LoadBalancerARN
	case s.Teleport != nil:
		return "appURI", s.Teleport.AppURI
	}
	return "", ""
}

// perIssuer reports whether s is of a kind a chain may hold once per
// issuer, each under its own name.
func (s Strategy) perIssuer() bool {
	return s.JWT != nil || s.OIDC != nil || s.Assertion != nil ||
		s.Pomerium != nil || s.IAP != nil || s.ALB != nil || s.Teleport != nil
}

// kinds lists the kinds s sets, in field order.
func (s Strategy) kinds() []string {
	var out []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"forwarded", s.Forwarded != nil},
		{"jwt", s.JWT != nil},
		{"oidc", s.OIDC != nil},
		{"assertion", s.Assertion != nil},
		{"pomerium", s.Pomerium != nil},
		{"iap", s.IAP != nil},
		{"alb", s.ALB != nil},
		{"teleport", s.Teleport != nil},
		{"tokenReview", s.TokenReview != nil},
		{"serviceAccount", s.ServiceAccount != nil},
		{"annotation", s.Annotation != nil},
		{"synthetic", s.Synthetic != nil},
	} {
		if k.set {
			out = append(out, k.name)
		}
	}
	return out
}

// name is the strategy's name in the chain.
func (s Strategy) name() string {
	switch {
	case s.JWT != nil && s.JWT.Name != "":
		return s.JWT.Name
	case s.JWT != nil:
		return "jwt"
	case s.OIDC != nil && s.OIDC.Name != "":
		return s.OIDC.Name
	case s.Assertion != nil && s.Assertion.Name != "":
		return s.Assertion.Name
	case s.Pomerium != nil && s.Pomerium.Name != "":
		return s.Pomerium.Name
	case s.IAP != nil && s.IAP.Name != "":
		return s.IAP.Name
	case s.ALB != nil && s.ALB.Name != "":
		return s.ALB.Name
	case s.Teleport != nil && s.Teleport.Name != "":
		return s.Teleport.Name
	case s.TokenReview != nil:
		return "tokenreview"
	case s.ServiceAccount != nil:
		return "serviceaccount"
	}
	kinds := s.kinds()
	if len(kinds) == 0 {
		return ""
	}
	return kinds[0]
}

func (f *Forwarded) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case f.Preset != "" && f.Headers != nil:
		errs = append(errs, field.Forbidden(p.Child("headers"), "set preset or headers, not both"))
	case f.Preset != "" && !slices.Contains(presets, f.Preset):
		errs = append(errs, field.NotSupported(p.Child("preset"), f.Preset, presets))
	case f.Headers != nil && f.Headers.User == "":
		errs = append(errs, field.Required(p.Child("headers", "user"), ""))
	}
	errs = append(errs, atLeast(p.Child("maxValueLength"), f.MaxValueLength, 1)...)
	errs = append(errs, atLeast(p.Child("maxGroups"), f.MaxGroups, 1)...)
	return append(errs, f.Trust.validate(p.Child("trust"))...)
}

func (t *Trust) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var set []string
	if len(t.CIDRs) > 0 {
		set = append(set, "cidrs")
		for i, c := range t.CIDRs {
			if _, err := netip.ParsePrefix(c); err != nil {
				errs = append(errs, field.Invalid(p.Child("cidrs").Index(i), c, "not a CIDR such as 10.0.0.0/8"))
			}
		}
	}
	if cc := t.ClientCertificate; cc != nil {
		set = append(set, "clientCertificate")
		cp := p.Child("clientCertificate")
		if cc.CAFile == "" {
			errs = append(errs, field.Required(cp.Child("caFile"), ""))
		}
		if len(cc.Names) == 0 {
			errs = append(errs, field.Required(cp.Child("names"), "a CA alone is often shared with other clients, which must not assert identities"))
		}
		for i, n := range cc.Names {
			if n == "" {
				errs = append(errs, field.Required(cp.Child("names").Index(i), ""))
			}
		}
	}
	if ss := t.SharedSecret; ss != nil {
		set = append(set, "sharedSecret")
		sp := p.Child("sharedSecret")
		if ss.Header == "" {
			errs = append(errs, field.Required(sp.Child("header"), ""))
		} else if !authn.ValidHeaderName(ss.Header) {
			errs = append(errs, field.Invalid(sp.Child("header"), ss.Header, "not a valid header name"))
		}
		if ss.SecretFile == "" {
			errs = append(errs, field.Required(sp.Child("secretFile"), "secrets are file references, never inline"))
		}
	}
	if t.InsecureAnyPeer {
		set = append(set, "insecureAnyPeer")
	}
	switch {
	case len(set) == 0:
		errs = append(errs, field.Required(p, "set one of cidrs, clientCertificate, sharedSecret (or insecureAnyPeer, for tests)"))
	case len(set) > 1:
		for _, k := range set[1:] {
			errs = append(errs, field.Forbidden(p.Child(k), "a trust policy sets exactly one way, and this one sets "+set[0]+" already"))
		}
	}
	return errs
}

func (j *JWT) validate(p *field.Path, hasForwarded bool) field.ErrorList {
	return issuerSettings{j.Issuer, j.Discovery, j.JWKSURL, j.JWKSFile, j.Audiences, j.TokenSource, j.Cache, j.ClaimValidationRules}.validate(p, hasForwarded)
}

// issuerSettings are the settings jwt and oidc strategies share.
type issuerSettings struct {
	issuer      string
	discovery   *Discovery
	jwksURL     string
	jwksFile    string
	audiences   []string
	tokenSource string
	cache       *JWTCache
	rules       []ValidationRule
}

func (j issuerSettings) validate(p *field.Path, hasForwarded bool) field.ErrorList {
	var errs field.ErrorList
	if j.issuer == "" {
		errs = append(errs, field.Required(p.Child("issuer"), ""))
	}
	errs = append(errs, oneKeySource(p, true, keySource{"discovery", j.discovery != nil},
		keySource{"jwksURL", j.jwksURL != ""}, keySource{"jwksFile", j.jwksFile != ""})...)
	if d := j.discovery; d != nil {
		dp := p.Child("discovery")
		errs = append(errs, positive(dp.Child("refreshInterval"), d.RefreshInterval)...)
		errs = append(errs, positive(dp.Child("minRefreshInterval"), d.MinRefreshInterval)...)
		errs = append(errs, positive(dp.Child("maxStaleness"), d.MaxStaleness)...)
	}
	errs = append(errs, audiences(p.Child("audiences"), j.audiences)...)
	errs = append(errs, tokenSource(p.Child("tokenSource"), j.tokenSource, hasForwarded)...)
	if c := j.cache; c != nil {
		errs = append(errs, atLeast(p.Child("cache", "size"), c.Size, 1)...)
		errs = append(errs, notNegative(p.Child("cache", "ttl"), c.TTL)...)
	}
	_, rerrs := compileRules(p.Child("claimValidationRules"), claimsVariable, j.rules)
	return append(errs, rerrs...)
}

func (o *OIDC) settings() issuerSettings {
	return issuerSettings{o.Issuer, o.Discovery, o.JWKSURL, o.JWKSFile, o.Audiences, o.TokenSource, o.Cache, o.ClaimValidationRules}
}

func (o *OIDC) validate(p *field.Path, hasForwarded bool) field.ErrorList {
	errs := o.settings().validate(p, hasForwarded)
	_, merrs := compileMappings(p.Child("claimMappings"), o.ClaimMappings)
	return append(errs, merrs...)
}

func (a *Assertion) validate(p *field.Path) field.ErrorList {
	errs := issuerSettings{issuer: a.Issuer, discovery: a.Discovery, jwksURL: a.JWKSURL, jwksFile: a.JWKSFile, audiences: a.Audiences}.validate(p, false)
	return append(errs, atLeast(p.Child("replayCacheSize"), a.ReplayCacheSize, 1)...)
}

// keySource is one way a strategy may get its keys, and whether it is set.
type keySource struct {
	name string
	set  bool
}

// oneKeySource checks that exactly one of sources is set, or at most one
// when a default applies (required false).
func oneKeySource(p *field.Path, required bool, sources ...keySource) field.ErrorList {
	var names, set []string
	for _, s := range sources {
		names = append(names, s.name)
		if s.set {
			set = append(set, s.name)
		}
	}
	all := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	switch {
	case len(set) == 0 && required:
		return field.ErrorList{field.Required(p, "set "+all)}
	case len(set) > 1:
		var errs field.ErrorList
		for _, k := range set[1:] {
			errs = append(errs, field.Forbidden(p.Child(k), "set one of "+all+", and this one sets "+set[0]+" already"))
		}
		return errs
	}
	return nil
}

// Pomerium, Teleport and IAP read keys from a URL or a file.
func fixedKeySource(p *field.Path, jwksURL, jwksFile string, required bool) field.ErrorList {
	return oneKeySource(p, required, keySource{"jwksURL", jwksURL != ""}, keySource{"jwksFile", jwksFile != ""})
}

func (s *Pomerium) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Route == "" {
		errs = append(errs, field.Required(p.Child("route"), "the host name of the route's From URL"))
	}
	for i, iss := range s.Issuers {
		if iss == "" {
			errs = append(errs, field.Required(p.Child("issuers").Index(i), ""))
		}
	}
	return append(errs, fixedKeySource(p, s.JWKSURL, s.JWKSFile, true)...)
}

func (s *IAP) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Audience == "" {
		errs = append(errs, field.Required(p.Child("audience"), "an assertion for another resource behind IAP must not authenticate here"))
	}
	return append(errs, fixedKeySource(p, s.JWKSURL, s.JWKSFile, false)...)
}

func (s *ALB) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct{ name, value string }{
		{"region", s.Region}, {"loadBalancerARN", s.LoadBalancerARN}, {"issuer", s.Issuer}, {"clientID", s.ClientID},
	} {
		if f.value == "" {
			errs = append(errs, field.Required(p.Child(f.name), ""))
		}
	}
	return errs
}

func (s *Teleport) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Cluster == "" {
		errs = append(errs, field.Required(p.Child("cluster"), ""))
	}
	if s.AppURI == "" {
		errs = append(errs, field.Required(p.Child("appURI"), "an assertion for another application must not authenticate here"))
	}
	for i, t := range s.Traits {
		if t == "" {
			errs = append(errs, field.Required(p.Child("traits").Index(i), ""))
		}
	}
	return append(errs, fixedKeySource(p, s.JWKSURL, s.JWKSFile, true)...)
}

func (t *TokenReview) validate(p *field.Path, hasForwarded bool) field.ErrorList {
	errs := audiences(p.Child("audiences"), t.Audiences)
	errs = append(errs, tokenSource(p.Child("tokenSource"), t.TokenSource, hasForwarded)...)
	if l := t.Limits; l != nil {
		lp := p.Child("limits")
		errs = append(errs, pair(lp, "rate", l.Rate != nil, "burst", l.Burst != nil)...)
		if l.Rate != nil && *l.Rate <= 0 {
			errs = append(errs, field.Invalid(lp.Child("rate"), *l.Rate, "must be positive"))
		}
		errs = append(errs, atLeast(lp.Child("burst"), l.Burst, 1)...)
		errs = append(errs, atLeast(lp.Child("maxInFlight"), l.MaxInFlight, 1)...)
		errs = append(errs, positive(lp.Child("timeout"), l.Timeout)...)
	}
	if c := t.Cache; c != nil {
		cp := p.Child("cache")
		errs = append(errs, pair(cp, "successSize", c.SuccessSize != nil, "failureSize", c.FailureSize != nil)...)
		errs = append(errs, pair(cp, "successTTL", c.SuccessTTL != nil, "failureTTL", c.FailureTTL != nil)...)
		errs = append(errs, atLeast(cp.Child("successSize"), c.SuccessSize, 1)...)
		errs = append(errs, atLeast(cp.Child("failureSize"), c.FailureSize, 1)...)
		errs = append(errs, notNegative(cp.Child("successTTL"), c.SuccessTTL)...)
		errs = append(errs, notNegative(cp.Child("failureTTL"), c.FailureTTL)...)
	}
	return errs
}

func (a *Annotation) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(a.RequireLabels) == 0 && len(a.RequireNamespaces) == 0 && len(a.BindingKeyFiles) == 0 && !a.InsecureAcceptUnverifiedAnnotations {
		errs = append(errs, field.Required(p, "set requireLabels, requireNamespaces or bindingKeyFiles: anyone who may edit a ServiceAccount could otherwise name any creator"))
	}
	for i, f := range a.BindingKeyFiles {
		if f == "" {
			errs = append(errs, field.Required(p.Child("bindingKeyFiles").Index(i), ""))
		}
	}
	for i, n := range a.RequireNamespaces {
		if n == "" {
			errs = append(errs, field.Required(p.Child("requireNamespaces").Index(i), ""))
		}
	}
	return append(errs, atLeast(p.Child("maxHops"), a.MaxHops, 1)...)
}

func (s *Synthetic) validate(p *field.Path) field.ErrorList {
	if s.NameTemplate == "" {
		return nil
	}
	tp := p.Child("nameTemplate")
	if !strings.HasPrefix(s.NameTemplate, authn.SyntheticNamePrefix) {
		return field.ErrorList{field.Invalid(tp, s.NameTemplate, "must start with "+authn.SyntheticNamePrefix+", which no human name may")}
	}
	if !strings.Contains(s.NameTemplate, "{name}") {
		return field.ErrorList{field.Invalid(tp, s.NameTemplate, "must contain {name}")}
	}
	rest := strings.NewReplacer("{namespace}", "", "{name}", "").Replace(s.NameTemplate)
	if strings.ContainsAny(rest, "{}") {
		return field.ErrorList{field.Invalid(tp, s.NameTemplate, "knows only the placeholders {namespace} and {name}")}
	}
	if err := authn.CheckSyntheticName(s.name(authn.ServiceAccount{Namespace: "default", Name: "key"})); err != nil {
		return field.ErrorList{field.Invalid(tp, s.NameTemplate, "makes names that break the identity-name rule: "+err.Error())}
	}
	return nil
}

// name is the synthetic user's name for sa.
func (s *Synthetic) name(sa authn.ServiceAccount) string {
	return strings.NewReplacer("{namespace}", sa.Namespace, "{name}", sa.Name).Replace(s.NameTemplate)
}

func audiences(p *field.Path, aud []string) field.ErrorList {
	if len(aud) == 0 {
		return field.ErrorList{field.Required(p, "a token minted for another service must not authenticate here")}
	}
	var errs field.ErrorList
	for i, a := range aud {
		if a == "" {
			errs = append(errs, field.Required(p.Index(i), ""))
		}
	}
	return errs
}

func tokenSource(p *field.Path, src string, hasForwarded bool) field.ErrorList {
	switch src {
	case "", TokenFromAuthorization:
		return nil
	case TokenFromForwardedAccessToken:
		if !hasForwarded {
			return field.ErrorList{field.Invalid(p, src, "needs a forwarded strategy, whose trust policy proves the proxy set the header")}
		}
		return nil
	}
	return field.ErrorList{field.NotSupported(p, src, tokenSources)}
}

// pair requires two settings to be given together.
func pair(p *field.Path, a string, hasA bool, b string, hasB bool) field.ErrorList {
	switch {
	case hasA && !hasB:
		return field.ErrorList{field.Required(p.Child(b), "set together with "+a)}
	case hasB && !hasA:
		return field.ErrorList{field.Required(p.Child(a), "set together with "+b)}
	}
	return nil
}

func atLeast(p *field.Path, v *int, min int) field.ErrorList {
	if v != nil && *v < min {
		return field.ErrorList{field.Invalid(p, *v, "must be at least "+strconv.Itoa(min))}
	}
	return nil
}

func positive(p *field.Path, d *metav1.Duration) field.ErrorList {
	if d != nil && d.Duration <= 0 {
		return field.ErrorList{field.Invalid(p, d.Duration.String(), "must be positive")}
	}
	return nil
}

func notNegative(p *field.Path, d *metav1.Duration) field.ErrorList {
	if d != nil && d.Duration < 0 {
		return field.ErrorList{field.Invalid(p, d.Duration.String(), "must not be negative")}
	}
	return nil
}
