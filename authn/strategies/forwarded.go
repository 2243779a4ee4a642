package strategies

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/nilcheck"
	"github.com/authchain/authchain/internal/notbuilt"
)

// HeaderNames names the identity headers a proxy sets. An empty field is
// not read.
type HeaderNames struct {
	// User carries the user name; it is required.
	User string
	// UID, Email and PreferredUsername carry one value each.
	UID, Email, PreferredUsername string
	// Groups carries group names; it may repeat. Each line is one group,
	// as Kubernetes reads X-Remote-Group, unless SplitGroupsOnCommas is set.
	Groups string
	// SplitGroupsOnCommas reads every Groups line as a comma-separated list
	// (items trimmed of spaces, empty ones dropped), for proxies that join
	// groups with commas, such as oauth2-proxy. Then no group can contain a
	// comma.
	SplitGroupsOnCommas bool
	// ExtraPrefix starts headers whose lower-cased, percent-unescaped
	// suffix is a User.Extra key, e.g. "X-Remote-Extra-".
	ExtraPrefix string
}

// OAuth2ProxyHeaders returns the headers oauth2-proxy sets with
// --pass-user-headers: X-Forwarded-User, X-Forwarded-Email,
// X-Forwarded-Preferred-Username and X-Forwarded-Groups, whose groups
// oauth2-proxy joins with commas (SplitGroupsOnCommas).
func OAuth2ProxyHeaders() HeaderNames {
	return HeaderNames{
		User:                "X-Forwarded-User",
		Email:               "X-Forwarded-Email",
		PreferredUsername:   "X-Forwarded-Preferred-Username",
		Groups:              "X-Forwarded-Groups",
		SplitGroupsOnCommas: true,
	}
}

// OpenShiftOAuthProxyHeaders returns the headers openshift/oauth-proxy sets:
// X-Forwarded-User and X-Forwarded-Email.
func OpenShiftOAuthProxyHeaders() HeaderNames {
	return HeaderNames{User: "X-Forwarded-User", Email: "X-Forwarded-Email"}
}

// NginxAuthRequestHeaders returns the headers an auth_request endpoint such
// as oauth2-proxy's /oauth2/auth returns for nginx to pass on:
// X-Auth-Request-User, -Email, -Preferred-Username and -Groups, whose groups
// are joined with commas (SplitGroupsOnCommas).
func NginxAuthRequestHeaders() HeaderNames {
	return HeaderNames{
		User:                "X-Auth-Request-User",
		Email:               "X-Auth-Request-Email",
		PreferredUsername:   "X-Auth-Request-Preferred-Username",
		Groups:              "X-Auth-Request-Groups",
		SplitGroupsOnCommas: true,
	}
}

// FrontProxyHeaders returns the Kubernetes front-proxy (requestheader)
// headers: X-Remote-User, X-Remote-Uid, X-Remote-Group and X-Remote-Extra-.
// As in Kubernetes, every X-Remote-Group line is one group, commas included:
// "devs,system:masters" is one group of that name, not two.
func FrontProxyHeaders() HeaderNames {
	return HeaderNames{
		User:        "X-Remote-User",
		UID:         "X-Remote-Uid",
		Groups:      "X-Remote-Group",
		ExtraPrefix: "X-Remote-Extra-",
	}
}

// headerPresetNames lists the names HeaderPreset accepts, for its error.
const headerPresetNames = `"front-proxy", "nginx", "oauth2-proxy", "openshift"`

// HeaderPreset returns the preset called name: "oauth2-proxy",
// "openshift", "nginx" or "front-proxy", so that the proxy can be chosen in
// configuration. Any other name is an error that lists the valid ones.
func HeaderPreset(name string) (HeaderNames, error) {
	switch name {
	case "oauth2-proxy":
		return OAuth2ProxyHeaders(), nil
	case "openshift":
		return OpenShiftOAuthProxyHeaders(), nil
	case "nginx":
		return NginxAuthRequestHeaders(), nil
	case "front-proxy":
		return FrontProxyHeaders(), nil
	}
	return HeaderNames{}, fmt.Errorf("strategies: unknown header preset %q; valid presets: %s", name, headerPresetNames)
}

// Defaults of the forwarded strategy's limits.
const (
	DefaultMaxValueLength = 1024
	DefaultMaxGroups      = 256
)

// ForwardedOption configures Forwarded. Options are checked when Forwarded
// builds the strategy.
type ForwardedOption func(*forwardedConfig)

type forwardedConfig struct {
	headers        HeaderNames
	maxValueLength int
	maxGroups      int
}

// WithHeaders sets the headers to read; the default is OAuth2ProxyHeaders.
// User must be set; every name must be a valid header name without '_' and
// no two may name the same header.
func WithHeaders(h HeaderNames) ForwardedOption {
	return func(c *forwardedConfig) { c.headers = h }
}

// WithMaxValueLength caps every header value, in bytes; the default is
// DefaultMaxValueLength. A longer value is rejected, not truncated.
func WithMaxValueLength(n int) ForwardedOption {
	return func(c *forwardedConfig) { c.maxValueLength = n }
}

// WithMaxGroups caps the number of group names, counted before
// de-duplication so that the work per request stays bounded; the default
// is DefaultMaxGroups. More are rejected, not truncated.
func WithMaxGroups(n int) ForwardedOption {
	return func(c *forwardedConfig) { c.maxGroups = n }
}

// The identity headers a ForwardedStrategy reads one value from, then Groups.
const (
	slotUser = iota
	slotUID
	slotEmail
	slotPreferredUsername
	slotGroups
	numSlots
)

// ForwardedStrategy believes the identity headers an authenticating proxy
// sets, but only on requests the TrustPolicy proves came from that proxy.
// Build it with Forwarded. It is safe for concurrent use.
type ForwardedStrategy struct {
	trust authn.TrustPolicy
	// names are the canonical header names per slot; "" is not read.
	names       [numSlots]string
	extraPrefix string
	splitGroups bool
	// headers lists, for Headers, the whole header names the strategy
	// removes from a request (Headers adds the extra prefix);
	// trustHeaders is the part of them the trust policy reads.
	headers           []string
	trustHeaders      authn.HeaderSet
	readsTrustHeaders bool
	maxValueLength    int
	maxGroups         int
	// contributed is the reason of every Contribute, and extraWhat names
	// the extra headers in reasons; both built once.
	contributed, extraWhat string
	// extraKeys remembers the Extra keys of recent ExtraPrefix headers.
	extraKeys *extraKeys
}

// Forwarded returns a strategy that takes the user from the headers of
// OAuth2ProxyHeaders (or those given WithHeaders), provided trust verifies
// the request. A nil trust, or one holding a nil pointer, is an error: use
// InsecureTrustAnyPeer in tests. A nil option is ignored.
//
// On every request, whatever the decision, it deletes from r.Header each
// configured header, each header starting with ExtraPrefix and each of
// trust.StrippedHeaders, in any case and with '_' for '-', so that handlers
// downstream cannot read a forged copy.
//
// It skips a request that carries none of its headers, and rejects one that
// carries them from an untrusted peer (the trust policy's reason goes to the
// Decision's Detail, not the response), under a non-canonical or repeated
// name, with an overlong value, without a user, with too many groups, or
// after another strategy has already established an identity. Every value
// obeys the identity-name rule: the user passes authn.CheckUserName unless
// it is a ServiceAccount subject (exactly "system:serviceaccount:…", which
// passes authn.CheckName and is passed on unparsed, for the ServiceAccount
// strategy to move into Actor), each group authn.CheckGroupName, and the
// uid, email, preferred username and every extra key and value
// authn.CheckName. A value that breaks the rule rejects the request; the
// reason names the header and the rule, never the value.
func Forwarded(trust authn.TrustPolicy, opts ...ForwardedOption) (*ForwardedStrategy, error) {
	if nilcheck.IsNil(trust) {
		return nil, errors.New("strategies: Forwarded needs a TrustPolicy (InsecureTrustAnyPeer only in tests)")
	}
	c := forwardedConfig{
		headers:        OAuth2ProxyHeaders(),
		maxValueLength: DefaultMaxValueLength,
		maxGroups:      DefaultMaxGroups,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.maxValueLength <= 0 {
		return nil, fmt.Errorf("strategies: Forwarded: max value length %d is not positive", c.maxValueLength)
	}
	if c.maxGroups <= 0 {
		return nil, fmt.Errorf("strategies: Forwarded: max groups %d is not positive", c.maxGroups)
	}
	h := c.headers
	if h.User == "" {
		return nil, errors.New("strategies: Forwarded: the User header is required")
	}
	s := &ForwardedStrategy{
		trust:          trust,
		splitGroups:    h.SplitGroupsOnCommas,
		maxValueLength: c.maxValueLength,
		maxGroups:      c.maxGroups,
	}
	for i, name := range [numSlots]string{h.User, h.UID, h.Email, h.PreferredUsername, h.Groups} {
		if name == "" {
			continue
		}
		if err := checkConfiguredHeader(name); err != nil {
			return nil, err
		}
		s.names[i] = http.CanonicalHeaderKey(name)
		s.headers = append(s.headers, s.names[i])
	}
	identity := slices.Clone(s.headers)
	if h.ExtraPrefix != "" {
		if err := checkConfiguredHeader(h.ExtraPrefix); err != nil {
			return nil, err
		}
		s.extraPrefix = http.CanonicalHeaderKey(h.ExtraPrefix)
		identity = append(identity, s.extraPrefix+"*")
	}
	// Overlapping names would make one header feed two fields.
	for i, a := range s.headers {
		for _, b := range s.headers[i+1:] {
			if authn.HeaderNameEqual(a, b) {
				return nil, fmt.Errorf("strategies: Forwarded: header %s is configured twice", a)
			}
		}
		if s.extraPrefix != "" && authn.HeaderNameHasPrefix(a, s.extraPrefix) {
			return nil, fmt.Errorf("strategies: Forwarded: header %s starts with the extra prefix %s", a, s.extraPrefix)
		}
	}
	identitySet, err := authn.NewHeaderSet(identity...)
	if err != nil {
		return nil, fmt.Errorf("strategies: Forwarded: %w", err)
	}
	var trustNames []string
	for _, name := range trust.StrippedHeaders() {
		if !authn.ValidHeaderName(name) || strings.IndexByte(name, '*') >= 0 {
			return nil, fmt.Errorf("strategies: Forwarded: trust policy strips invalid header name %q", name)
		}
		if identitySet.Contains(name) {
			return nil, fmt.Errorf("strategies: Forwarded: trust policy header %s is also an identity header", name)
		}
		trustNames = append(trustNames, http.CanonicalHeaderKey(name))
	}
	if s.trustHeaders, err = authn.NewHeaderSet(trustNames...); err != nil {
		return nil, fmt.Errorf("strategies: Forwarded: %w", err)
	}
	s.headers = append(s.headers, trustNames...)
	s.readsTrustHeaders = len(trustNames) > 0
	s.contributed = "user from " + s.names[slotUser]
	s.extraWhat = s.extraPrefix + "* header"
	s.extraKeys = new(extraKeys)
	return s, nil
}

// checkConfiguredHeader refuses a name that could not arrive as configured.
// '_' is refused too: it matches '-' here, and many proxies drop it.
func checkConfiguredHeader(name string) error {
	if !authn.ValidHeaderName(name) || strings.ContainsAny(name, "_*") {
		return fmt.Errorf("strategies: Forwarded: invalid header name %q (a token without '_' or '*')", name)
	}
	return nil
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by Forwarded.
func (s *ForwardedStrategy) Validate() error {
	if s == nil || s.trust == nil || s.names[slotUser] == "" || s.maxValueLength <= 0 || s.maxGroups <= 0 {
		return notbuilt.Error("ForwardedStrategy", "Forwarded")
	}
	return nil
}

// Name returns "forwarded".
func (*ForwardedStrategy) Name() string { return "forwarded" }

// Headers returns, in canonical form, every header the strategy reads or
// strips: the identity headers, the trust policy's headers, and the extra
// prefix followed by "*". It makes the strategy an authn.HeaderReader, so a
// chain strips them too, whatever strategy runs before it.
func (s *ForwardedStrategy) Headers() []string {
	out := slices.Clone(s.headers)
	if s.extraPrefix != "" {
		out = append(out, s.extraPrefix+"*")
	}
	return out
}

// forwardedHeaders is what one pass over r.Header found.
type forwardedHeaders struct {
	// extraFirst and extraRest hold the ExtraPrefix headers, taken out of
	// the request by the same pass: a request carries a few, so the array
	// saves an allocation. (A slice of the array kept here would make the
	// whole struct escape.)
	extraFirst [4]headerField
	extraRest  []headerField
	values     [numSlots][]string
	// keys counts the map keys per slot; more than one is a repeat under
	// another spelling.
	keys [numSlots]int
	// nonCanonical marks a slot seen under a spelling the Go server never
	// produces, or with '_' for '-'.
	nonCanonical      [numSlots]bool
	extras            int
	extraNonCanonical bool
}

// headerField is one header taken out of a request.
type headerField struct {
	key    string
	values []string
}

func (f *forwardedHeaders) present() bool {
	return f.extras > 0 || f.keys != [numSlots]int{}
}

// Authenticate implements authn.Strategy; see Forwarded for the contract.
func (s *ForwardedStrategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	// scan takes the identity headers out of the request as it reads them,
	// so no return path, including a panicking trust policy, leaves one
	// behind; the trust policy's own headers go once it has read them.
	var in forwardedHeaders
	s.scan(r.Header, &in)
	if s.readsTrustHeaders {
		defer s.trustHeaders.Strip(r.Header)
	}
	if !in.present() {
		return authn.Skip("no forwarded identity headers")
	}
	if err := s.trust.Verify(r); err != nil {
		// The policy's reason (which range, which certificate name) is a
		// detail for logs, not for the client.
		return authn.Reject("identity headers from an untrusted peer").WithDetail(err.Error())
	}
	if !sofar.User.IsZero() || sofar.Actor != nil {
		return authn.Reject("forwarded identity conflicts with an identity already established")
	}
	if reason := s.checkNames(&in); reason != "" {
		return authn.Reject(reason)
	}
	u, reason := s.user(&in)
	if reason != "" {
		return authn.Reject(reason)
	}
	return authn.Contribute(authn.Principal{User: u}, s.contributed)
}

// scan records the identity headers of h under every spelling and deletes
// them from h, in one pass: reading and stripping are the hot path of every
// request, and a second walk over the headers cost about a third of it
// (BenchmarkForwardedHuman).
func (s *ForwardedStrategy) scan(h http.Header, in *forwardedHeaders) {
	for k, vs := range h {
		// The exact comparisons first: Go's server stores canonical keys,
		// and a byte-wise folded comparison of each costs more.
		if s.extraPrefix != "" && (strings.HasPrefix(k, s.extraPrefix) || authn.HeaderNameHasPrefix(k, s.extraPrefix)) {
			in.extras++
			if k[:len(s.extraPrefix)] != s.extraPrefix || !isCanonicalHeaderKey(k) {
				in.extraNonCanonical = true
			}
			if in.extras <= len(in.extraFirst) {
				in.extraFirst[in.extras-1] = headerField{k, vs}
			} else {
				in.extraRest = append(in.extraRest, headerField{k, vs})
			}
			delete(h, k)
			continue
		}
		for i, name := range s.names {
			if name == "" || len(k) != len(name) || k != name && !authn.HeaderNameEqual(k, name) {
				continue
			}
			delete(h, k)
			in.keys[i]++
			if k != name {
				in.nonCanonical[i] = true
			}
			if in.values[i] == nil {
				in.values[i] = vs
			} else {
				// A second spelling: rejected below, so merging the
				// values is only for counting.
				in.values[i] = append(slices.Clip(in.values[i]), vs...)
			}
			break
		}
	}
}

// checkNames refuses repeated single-valued headers and spellings that a
// proxy stripping only the canonical name would let through.
func (s *ForwardedStrategy) checkNames(in *forwardedHeaders) string {
	for i, name := range s.names {
		if name == "" || in.keys[i] == 0 {
			continue
		}
		if i != slotGroups && (in.keys[i] > 1 || len(in.values[i]) > 1) {
			return "duplicate " + name + " header"
		}
		if in.nonCanonical[i] {
			return name + " header sent under a non-canonical name"
		}
	}
	if in.extraNonCanonical {
		return s.extraPrefix + "* header sent under a non-canonical name"
	}
	return ""
}

// user builds the User from headers that passed checkNames, or returns why
// it cannot.
func (s *ForwardedStrategy) user(in *forwardedHeaders) (authn.User, string) {
	userName := s.names[slotUser]
	if in.keys[slotUser] == 0 {
		return authn.User{}, "identity headers without a " + userName + " header"
	}
	var single [numSlots]string
	for i, name := range s.names {
		if i == slotGroups || len(in.values[i]) == 0 || in.values[i][0] == "" {
			continue
		}
		v := in.values[i][0]
		check := authn.CheckName
		if i == slotUser {
			check = checkForwardedUser
		}
		if p := valueProblem(v, s.maxValueLength, check); p != "" {
			return authn.User{}, name + " header " + p
		}
		single[i] = v
	}
	u := authn.User{Name: single[slotUser], UID: single[slotUID], Email: single[slotEmail]}
	if u.Name == "" {
		return authn.User{}, "empty " + userName + " header"
	}
	groups, reason := s.checkGroups(in.values[slotGroups])
	if reason != "" {
		return authn.User{}, reason
	}
	extras := in.extraFirst[:min(in.extras, len(in.extraFirst))]
	preferred := single[slotPreferredUsername]
	// One backing array holds the groups and every extra value, each part
	// clipped so that an append copies: a request pays one allocation for
	// them, not one per header (BenchmarkForwardedFrontProxy).
	size := groups
	if preferred != "" {
		size++
	}
	for _, fields := range [2][]headerField{extras, in.extraRest} {
		for _, f := range fields {
			size += len(f.values)
		}
	}
	var buf []string
	if size > 0 {
		buf = make([]string, 0, size)
	}
	if groups > 0 {
		buf = s.appendGroups(buf, in.values[slotGroups])
		u.Groups = buf[:len(buf):len(buf)]
		buf = buf[len(buf):]
	}
	if in.extras > 0 || preferred != "" {
		extra, reason := s.extra(buf, extras, in.extraRest, preferred)
		if reason != "" {
			return authn.User{}, reason
		}
		u.Extra = extra
	}
	return u, ""
}

// checkForwardedUser applies the identity-name rule to a forwarded user: a
// human name passes authn.CheckUserName; a ServiceAccount subject, in
// exactly the spelling Kubernetes gives it, only authn.CheckName, because
// the ServiceAccount strategy parses it next.
func checkForwardedUser(name string) error {
	if authn.IsServiceAccountSubject(name) {
		return authn.CheckName(name)
	}
	return authn.CheckUserName(name)
}

// checkGroups checks every group of the Groups values (see nextGroup) and
// returns how many there are, duplicates included.
func (s *ForwardedStrategy) checkGroups(values []string) (int, string) {
	header := s.names[slotGroups]
	n := 0
	for _, v := range values {
		if len(v) > s.maxValueLength {
			return 0, header + " header " + tooLong(s.maxValueLength)
		}
		for g, rest, ok := nextGroup(v, s.splitGroups); ok; g, rest, ok = nextGroup(rest, s.splitGroups) {
			// Counted as they are checked, so the work stops at the cap.
			if n++; n > s.maxGroups {
				return 0, "more than " + strconv.Itoa(s.maxGroups) + " groups in " + header + " headers"
			}
			if err := authn.CheckGroupName(g); err != nil {
				return 0, header + " header " + err.Error()
			}
		}
	}
	return n, ""
}

// appendGroups appends the groups of values that checkGroups passed to buf,
// without duplicates, in first-seen order.
func (s *ForwardedStrategy) appendGroups(buf, values []string) []string {
	start := len(buf)
	for _, v := range values {
		for g, rest, ok := nextGroup(v, s.splitGroups); ok; g, rest, ok = nextGroup(rest, s.splitGroups) {
			// Linear: at most maxGroups names, and usually a handful.
			if !slices.Contains(buf[start:], g) {
				buf = append(buf, g)
			}
		}
	}
	return buf
}

// nextGroup returns the first group of the Groups value v and the rest of
// v; ok is false when none is left. Split, v is a comma-separated list (see
// nextListItem); otherwise v is one group, or none when empty, as Kubernetes
// reads X-Remote-Group.
func nextGroup(v string, split bool) (group, rest string, ok bool) {
	if split {
		return nextListItem(v)
	}
	return v, "", v != ""
}

// preferredUsernameKey is the User.Extra key of PreferredUsername, the OIDC
// claim name.
const preferredUsernameKey = "preferred_username"

// extra collects User.Extra from the ExtraPrefix headers scan took out,
// whose names passed checkNames, and the preferred user name. A key is the
// header suffix lower-cased and percent-unescaped, as Kubernetes does; two
// headers giving the same key are refused rather than merged in map order.
// The values are copied into buf, which has room for all of them.
func (s *ForwardedStrategy) extra(buf []string, first, rest []headerField, preferred string) (map[string][]string, string) {
	n := len(first) + len(rest)
	if preferred != "" {
		n++
	}
	extra := make(map[string][]string, n)
	if preferred != "" {
		buf = append(buf, preferred)
		extra[preferredUsernameKey] = buf[:1:1]
		buf = buf[1:]
	}
	for _, fields := range [2][]headerField{first, rest} {
		for _, f := range fields {
			var reason string
			if buf, reason = s.addExtra(extra, buf, f); reason != "" {
				return nil, reason
			}
		}
	}
	return extra, ""
}

// addExtra adds one ExtraPrefix header to extra, its values copied into
// buf, and returns the rest of buf, or why it cannot.
func (s *ForwardedStrategy) addExtra(extra map[string][]string, buf []string, f headerField) ([]string, string) {
	what := s.extraWhat
	key, err := s.extraKeys.key(f.key[len(s.extraPrefix):])
	switch {
	case err != nil:
		return nil, what + " has a malformed percent-encoded key"
	case key == "":
		return nil, what + " has an empty key"
	}
	if p := identityValueProblem(key, s.maxValueLength); p != "" {
		return nil, what + " key " + p
	}
	if _, dup := extra[key]; dup {
		return nil, what + " repeats a key"
	}
	for _, v := range f.values {
		if p := identityValueProblem(v, s.maxValueLength); p != "" {
			return nil, what + " value " + p
		}
	}
	buf = append(buf, f.values...)
	extra[key] = buf[:len(f.values):len(f.values)]
	return buf[len(f.values):], ""
}
