package authn

import (
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strings"
	"time"
)

// Principal is the answer to "who is this request acting for, and through
// which ServiceAccount?". The two identities are kept apart on purpose: a
// request made with an access key acts for the human who created the key
// (User) through the key's ServiceAccount (Actor). Neither is ever encoded
// into the other.
//
// The JSON encoding is stable and is the format of the golden test cases:
//
//	{"user":{"name":…,"uid":…,"email":…,"groups":[…],"extra":{…}},
//	 "actor":{"namespace":…,"name":…,"uid":…,"attributes":{…}} | null,
//	 "credential":{"type":…,"id":…,"issuer":…,"audiences":[…],"expiresAt":…,"pod":…,"node":…,
//	               "bindings":[{"kind":…,"name":…,"uid":…,"attestations":{…}}]},
//	 "synthetic":bool,"via":[…]}
//
// "user", "actor", "synthetic" and "via" are always present; "credential"
// only when a token was verified; inside the objects, empty strings, lists,
// maps and times are omitted.
type Principal struct {
	// User is the effective identity. Its zero value means no user has been
	// established yet.
	User User `json:"user"`
	// Actor is the ServiceAccount the request was made with, or nil when a
	// human called directly.
	Actor *ServiceAccount `json:"actor"`
	// Credential describes the verified token the request carried, or is
	// nil when identity came from headers alone.
	Credential *Credential `json:"credential,omitempty"`
	// Synthetic reports that User was derived from Actor because no human
	// could be found; it is never set for a resolved human.
	Synthetic bool `json:"synthetic"`
	// Via names the strategies that contributed, in the order they ran.
	// The chain maintains it; strategies do not.
	Via []string `json:"via"`
}

// User is an effective identity: a human, or a synthetic stand-in flagged by
// Principal.Synthetic.
type User struct {
	Name   string              `json:"name"`
	UID    string              `json:"uid,omitempty"`
	Email  string              `json:"email,omitempty"`
	Groups []string            `json:"groups,omitempty"`
	Extra  map[string][]string `json:"extra,omitempty"`
}

// IsZero reports whether no user has been established.
func (u User) IsZero() bool { return u.Name == "" }

// Clone returns a deep copy of u, for handing a cached User to a request
// that may modify it.
func (u User) Clone() User {
	u.Groups = slices.Clone(u.Groups)
	if u.Extra != nil {
		extra := make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			extra[k] = slices.Clone(v)
		}
		u.Extra = extra
	}
	return u
}

// ServiceAccount identifies a Kubernetes ServiceAccount acting for a user.
type ServiceAccount struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// UID is empty until a strategy has seen the object (or a token bound
	// to it); a name alone does not identify one incarnation.
	UID string `json:"uid,omitempty"`
	// Attributes holds labels and annotations of the ServiceAccount that the
	// chain was configured to copy, so that authorization can cap what a key
	// may do.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Credential describes a verified bearer token or signed assertion.
type Credential struct {
	// Type says what was verified and how: "jwt" (a ServiceAccount token,
	// signature checked locally), "tokenreview" (the API server answered a
	// TokenReview), "oidc" (an ID token), or the signed assertion of a
	// proxy: "pomerium", "iap", "alb", "teleport".
	Type string `json:"type"`
	// ID identifies the token for audit, as Kubernetes does with the
	// credential-id extra: "JTI=<jti>" for bound ServiceAccount tokens.
	ID string `json:"id,omitempty"`
	// Issuer is the token's iss claim, when known.
	Issuer string `json:"issuer,omitempty"`
	// Audiences are the audiences the token was accepted for.
	Audiences []string `json:"audiences,omitempty"`
	// ExpiresAt is the token's expiry; zero for tokens that do not expire
	// (legacy Secret-based tokens).
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Pod and Node are the objects a bound token is tied to, if any.
	Pod  *BoundObject `json:"pod,omitempty"`
	Node *BoundObject `json:"node,omitempty"`
	// LegacySecret names the Secret of a legacy, non-expiring token.
	LegacySecret string `json:"legacySecret,omitempty"`
	// Bindings are the other objects the token is bound to, such as the
	// ValidatingWebhookConfiguration of a token minted for an admission
	// webhook. The token strategies refuse a token bound to a kind they
	// were not configured to accept, so a Binding is only ever one the
	// configuration expected, and an empty list means there was none.
	Bindings []Binding `json:"bindings,omitempty"`
}

// Binding is an object a token is bound to, beyond a Pod or Node.
type Binding struct {
	// Kind is the kind as Kubernetes spells it in the token's kubernetes.io
	// claim, such as "validatingwebhookconfiguration".
	Kind string `json:"kind"`
	Name string `json:"name"`
	UID  string `json:"uid,omitempty"`
	// Attestations are what the issuer attested for the token, such as
	// "admissionReviewAPIGroups": ["apps"] (the API groups a webhook token
	// may ask about). Authorization may check them; authentication only
	// records them.
	Attestations map[string][]string `json:"attestations,omitempty"`
}

// Clone returns a deep copy of c, for handing a cached Credential to a
// request that may modify it.
func (c Credential) Clone() *Credential {
	c.Audiences = slices.Clone(c.Audiences)
	if c.Pod != nil {
		pod := *c.Pod
		c.Pod = &pod
	}
	if c.Node != nil {
		node := *c.Node
		c.Node = &node
	}
	if c.Bindings != nil {
		bindings := make([]Binding, len(c.Bindings))
		for i, b := range c.Bindings {
			if b.Attestations != nil {
				att := make(map[string][]string, len(b.Attestations))
				for k, v := range b.Attestations {
					att[k] = slices.Clone(v)
				}
				b.Attestations = att
			}
			bindings[i] = b
		}
		c.Bindings = bindings
	}
	return &c
}

// BoundObject is a Kubernetes object a token is bound to.
type BoundObject struct {
	Name string `json:"name"`
	UID  string `json:"uid,omitempty"`
}

// Subject returns the username Kubernetes gives the ServiceAccount,
// system:serviceaccount:NAMESPACE:NAME.
func (sa ServiceAccount) Subject() string {
	return ServiceAccountSubjectPrefix + sa.Namespace + ":" + sa.Name
}

// IsHuman reports whether the request acts for a resolved, non-synthetic user.
func (p Principal) IsHuman() bool { return !p.User.IsZero() && !p.Synthetic }

// StorageKey returns a key for the effective user that is safe as a file
// name or a key in a case-insensitive store, and can be decoded back to the
// name: every byte outside [a-z0-9.-], upper-case letters and '_' included,
// and a leading '.' (so that no key is "." or ".." or a hidden file), is
// written as '_' followed by two lower-case hex digits. Distinct names
// always give distinct keys, and keys never differ only in letter case. It
// is not bounded in length and is not a Kubernetes object name (it may hold
// '_'); use ObjectName for that. It returns "" for a zero User.
//
// For a synthetic user the key is that of the Actor's subject, not of the
// synthetic name: the default synthetic name is the lossy legacy id, under
// which namespace "team-x" key "bot" and namespace "team" key "x-bot"
// collide. No human can be named like a subject (the chain refuses it), so
// the keys stay distinct.
func (p Principal) StorageKey() string {
	return storageKey(p.keyName())
}

// ObjectName returns a name for the effective user that is a valid
// Kubernetes object name (a DNS-1123 subdomain: lower case, at most 253
// bytes) for objects kept per user, such as a Secret of credentials. It is a
// readable part, the name lower-cased with runs of other bytes turned into
// '-' and cut to 63 bytes, then '-' and the unpadded lower-case base32 of the
// SHA-256 of the name StorageKey encodes: "alice-example.com-<52 chars>".
// Distinct names give distinct object names unless SHA-256 collides, and
// names that differ only in letter case stay apart. It returns "" for a zero
// User.
func (p Principal) ObjectName() string {
	name := p.keyName()
	if name == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(name))
	digest := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
	readable := strings.Trim(objectNamePart(name), "-.")
	if readable == "" {
		return digest
	}
	return readable + "-" + digest
}

// keyName is the name StorageKey and ObjectName encode.
func (p Principal) keyName() string {
	if p.Synthetic && p.Actor != nil {
		return p.Actor.Subject()
	}
	return p.User.Name
}

// objectNamePart lower-cases name, turns runs of bytes outside [a-z0-9.] into
// one '-', and cuts the result to 63 bytes.
func objectNamePart(name string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(name) && b.Len() < 63; i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' {
			b.WriteByte(c)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	// ".." and ".-" are not allowed between the parts of a subdomain.
	s := b.String()
	for _, bad := range []string{"..", ".-", "-."} {
		for strings.Contains(s, bad) {
			s = strings.ReplaceAll(s, bad, "-")
		}
	}
	return s
}

func storageKey(name string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' && i > 0 || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// LegacyID returns the sanitized id older platforms used as a user key:
// bytes outside [a-zA-Z0-9._-] become '-', runs of '-' collapse to one,
// leading and trailing '-' are trimmed, and the result is cut to 253 bytes.
//
// It is lossy: "a:b" and "a/b" both become "a-b". Use it only to find data
// stored under the old scheme, never as an identity.
func (p Principal) LegacyID() string { return LegacyID(p.User.Name) }

// LegacyID applies the lossy legacy sanitization to name; see
// Principal.LegacyID.
func LegacyID(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	dash := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			c = '-'
		}
		if c == '-' {
			if dash || b.Len() == 0 {
				dash = true
				continue
			}
			dash = true
		} else {
			dash = false
		}
		b.WriteByte(c)
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 253 {
		s = strings.TrimRight(s[:253], "-")
	}
	return s
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
