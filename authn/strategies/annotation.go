package strategies

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validate/content"
	corev1listers "k8s.io/client-go/listers/core/v1"

	"github.com/authchain/authchain/authn"
)

// DefaultCreatorAnnotation is the ServiceAccount annotation naming the user
// who created an access key.
const DefaultCreatorAnnotation = "ambient-code.io/created-by-user-id"

const (
	defaultMaxHops = 3
	// maxCreatorLen bounds a creator value; no real user name comes close,
	// and it caps the work an attacker-sized annotation can cause.
	maxCreatorLen = 1024
)

// AnnotationOption configures CreatorAnnotation.
type AnnotationOption func(*annotationConfig)

type annotationConfig struct {
	creatorKey   string
	bindingKey   string
	labels       map[string]string
	namespaces   map[string]bool
	bindingKeys  [][]byte
	insecure     bool
	maxHops      int
	copyKeys     []string
	skipUnsynced bool
	errs         []error
}

func (c *annotationConfig) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("strategies: CreatorAnnotation: "+format, args...))
}

// WithCreatorAnnotation sets the annotation that names the creator; the
// default is DefaultCreatorAnnotation. The key must be a valid annotation
// key.
func WithCreatorAnnotation(key string) AnnotationOption {
	return func(c *annotationConfig) { c.creatorKey = key }
}

// WithBindingAnnotation sets the annotation that holds the signed binding
// checked by RequireSignedBinding; the default is DefaultBindingAnnotation.
func WithBindingAnnotation(key string) AnnotationOption {
	return func(c *annotationConfig) { c.bindingKey = key }
}

// RequireLabels trusts a creator annotation only on a ServiceAccount that
// carries every one of labels with exactly that value, e.g. the label the
// access-key service sets and ordinary users cannot. It needs at least one
// label; repeated calls add labels, and a key given two values is an error.
func RequireLabels(labels map[string]string) AnnotationOption {
	return func(c *annotationConfig) {
		if len(labels) == 0 {
			c.errorf("RequireLabels needs at least one label")
			return
		}
		if c.labels == nil {
			c.labels = make(map[string]string, len(labels))
		}
		for k, v := range labels {
			if msgs := content.IsLabelKey(k); len(msgs) > 0 {
				c.errorf("required label key %q: %s", k, strings.Join(msgs, "; "))
			}
			if msgs := content.IsLabelValue(v); len(msgs) > 0 {
				c.errorf("required label %q value %q: %s", k, v, strings.Join(msgs, "; "))
			}
			if old, ok := c.labels[k]; ok && old != v {
				c.errorf("label %q required with two values", k)
			}
			c.labels[k] = v
		}
	}
}

// RequireNamespaces trusts a creator annotation only on a ServiceAccount in
// one of namespaces, e.g. namespaces where only the access-key service may
// edit ServiceAccounts. It needs at least one namespace; repeated calls add
// to the list.
func RequireNamespaces(namespaces ...string) AnnotationOption {
	return func(c *annotationConfig) {
		if len(namespaces) == 0 {
			c.errorf("RequireNamespaces needs at least one namespace")
			return
		}
		if c.namespaces == nil {
			c.namespaces = make(map[string]bool, len(namespaces))
		}
		for _, ns := range namespaces {
			if msgs := content.IsDNS1123Label(ns); len(msgs) > 0 {
				c.errorf("namespace %q: %s", ns, strings.Join(msgs, "; "))
			}
			c.namespaces[ns] = true
		}
	}
}

// RequireSignedBinding trusts a creator annotation only if the binding
// annotation holds a SignBinding value for the ServiceAccount's namespace,
// name and uid and the annotation's value, under any of keys. This is the
// check that holds even against someone who may edit every ServiceAccount:
// without a key they cannot bind a user, and a binding does not survive
// re-creating the ServiceAccount. Give the new key first and the old one
// after it while rotating. Each key must be at least MinBindingKeyLen bytes;
// the keys are copied.
func RequireSignedBinding(keys ...[]byte) AnnotationOption {
	return func(c *annotationConfig) {
		if err := checkBindingKeys(keys); err != nil {
			c.errorf("RequireSignedBinding: %w", err)
			return
		}
		for _, k := range keys {
			c.bindingKeys = append(c.bindingKeys, slices.Clone(k))
		}
	}
}

// InsecureAcceptUnverifiedAnnotations allows building the strategy without
// any Require option. Anyone who can edit a ServiceAccount can then make its
// key act for any user; use it only where ServiceAccount edits are as
// trusted as the users themselves. Require options given as well still
// apply.
func InsecureAcceptUnverifiedAnnotations() AnnotationOption {
	return func(c *annotationConfig) { c.insecure = true }
}

// WithMaxHops sets how many keys-created-by-keys may be followed to reach a
// human; the default is 3 and n must be at least 1.
func WithMaxHops(n int) AnnotationOption {
	return func(c *annotationConfig) {
		if n < 1 {
			c.errorf("WithMaxHops(%d): must be at least 1", n)
			return
		}
		c.maxHops = n
	}
}

// CopyAttributes copies the given labels or annotations of the acting
// ServiceAccount (never of the keys it was created by) into
// Actor.Attributes, so authorization can cap what a key may do. When a key
// is both a label and an annotation, the annotation wins: annotations are
// where the key-creating code records facts, and labels cannot hold every
// value. The binding annotation cannot be copied, so signatures do not
// spread into logs.
func CopyAttributes(keys ...string) AnnotationOption {
	return func(c *annotationConfig) {
		for _, k := range keys {
			if msgs := content.IsLabelKey(k); len(msgs) > 0 {
				c.errorf("attribute key %q: %s", k, strings.Join(msgs, "; "))
				continue
			}
			if !slices.Contains(c.copyKeys, k) {
				c.copyKeys = append(c.copyKeys, k)
			}
		}
	}
}

// InsecureSkipWhenUnsynced makes the strategy not apply, instead of failing
// with 503, while the ServiceAccount cache has not synced. Requests made
// with keys then fall through to later strategies (typically Synthetic) and
// get a stand-in identity instead of their human.
func InsecureSkipWhenUnsynced() AnnotationOption {
	return func(c *annotationConfig) { c.skipUnsynced = true }
}

// labelRequirement is one required label; kept sorted so that the reason
// for a rejection does not depend on map order.
type labelRequirement struct{ key, value string }

// AnnotationStrategy resolves an access key's ServiceAccount to the human
// who created it. Build it with CreatorAnnotation. It is safe for
// concurrent use.
type AnnotationStrategy struct {
	lister       corev1listers.ServiceAccountLister
	hasSynced    func() bool
	creatorKey   string
	bindingKey   string
	labels       []labelRequirement
	namespaces   map[string]bool
	binding      *bindingVerifier
	maxHops      int
	copyKeys     []string
	skipUnsynced bool
}

// CreatorAnnotation returns the strategy named "annotation". It applies
// when an Actor is set and no User is, as after ServiceAccount:
//
//   - it reads the Actor's ServiceAccount from lister only, an informer cache,
//     never the API server; until hasSynced reports true it fails (503);
//   - a ServiceAccount not in the cache, or without the creator annotation,
//     is not its business (a later Synthetic strategy may apply), except
//     that an Actor with a UID (set from a verified token) whose
//     ServiceAccount is gone is rejected;
//   - if Actor.UID is set and differs from the cached object's, the
//     ServiceAccount was re-created and the request is rejected;
//   - a present creator annotation must pass every configured provenance
//     check (RequireLabels, RequireNamespaces, RequireSignedBinding) and be
//     a plausible user name (non-empty, at most 1024 bytes of UTF-8 without
//     control characters or surrounding space, not a reserved system: name);
//     otherwise the request is rejected, never passed on to a weaker
//     strategy;
//   - a value that is a ServiceAccount subject names the key this key was
//     created with; its creator annotation is followed, with the same
//     checks, for at most WithMaxHops keys and without cycles, and must end
//     at a human, or the request is rejected;
//   - the result keeps the Actor, with UID set from the cached object and
//     the attributes chosen by CopyAttributes, and sets User to the human;
//     its reason is "creator annotation", or "creator annotation via N
//     keys" ("via 1 key") when N parent keys were followed.
//
// It returns an error if lister or hasSynced is nil, an option is invalid,
// or no provenance check is configured and
// InsecureAcceptUnverifiedAnnotations is not given.
func CreatorAnnotation(lister corev1listers.ServiceAccountLister, hasSynced func() bool, opts ...AnnotationOption) (*AnnotationStrategy, error) {
	c := annotationConfig{
		creatorKey: DefaultCreatorAnnotation,
		bindingKey: DefaultBindingAnnotation,
		maxHops:    defaultMaxHops,
	}
	if lister == nil {
		c.errorf("lister is nil")
	}
	if hasSynced == nil {
		c.errorf("hasSynced is nil")
	}
	for i, opt := range opts {
		if opt == nil {
			c.errorf("option %d is nil", i)
			continue
		}
		opt(&c)
	}
	for _, key := range []string{c.creatorKey, c.bindingKey} {
		if msgs := content.IsLabelKey(key); len(msgs) > 0 {
			c.errorf("annotation key %q: %s", key, strings.Join(msgs, "; "))
		}
	}
	if c.creatorKey == c.bindingKey {
		c.errorf("creator and binding annotations are both %q", c.creatorKey)
	}
	if slices.Contains(c.copyKeys, c.bindingKey) {
		c.errorf("CopyAttributes: the binding annotation %q cannot be copied", c.bindingKey)
	}
	if c.labels == nil && c.namespaces == nil && c.bindingKeys == nil && !c.insecure {
		c.errorf("no provenance check: use RequireSignedBinding, RequireLabels or RequireNamespaces " +
			"(or InsecureAcceptUnverifiedAnnotations), since anyone who can edit a ServiceAccount can write its annotations")
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}

	s := &AnnotationStrategy{
		lister:       lister,
		hasSynced:    hasSynced,
		creatorKey:   c.creatorKey,
		bindingKey:   c.bindingKey,
		namespaces:   c.namespaces,
		maxHops:      c.maxHops,
		copyKeys:     c.copyKeys,
		skipUnsynced: c.skipUnsynced,
	}
	for k, v := range c.labels {
		s.labels = append(s.labels, labelRequirement{k, v})
	}
	slices.SortFunc(s.labels, func(a, b labelRequirement) int { return strings.Compare(a.key, b.key) })
	if c.bindingKeys != nil {
		s.binding = newBindingVerifier(c.bindingKeys)
	}
	return s, nil
}

// Name returns "annotation".
func (*AnnotationStrategy) Name() string { return "annotation" }

// Authenticate implements authn.Strategy; see CreatorAnnotation.
func (s *AnnotationStrategy) Authenticate(_ *http.Request, sofar authn.Principal) authn.Decision {
	if sofar.Actor == nil || !sofar.User.IsZero() {
		return authn.Skip("no actor awaiting a user")
	}
	if !s.hasSynced() {
		if s.skipUnsynced {
			return authn.Skip("ServiceAccount cache not synced")
		}
		return authn.Fail("ServiceAccount cache not synced", nil)
	}
	sa, err := s.lister.ServiceAccounts(sofar.Actor.Namespace).Get(sofar.Actor.Name)
	// err is tested first: apierrors.IsNotFound allocates even for nil.
	if err != nil {
		if apierrors.IsNotFound(err) {
			if sofar.Actor.UID != "" {
				// A uid comes from a verified token: its ServiceAccount was
				// deleted, and the token must die with it.
				return authn.Reject("the token's ServiceAccount no longer exists")
			}
			return authn.Skip("ServiceAccount not in cache")
		}
		return authn.Fail("ServiceAccount cache lookup failed", err)
	}
	if sofar.Actor.UID != "" && sofar.Actor.UID != string(sa.UID) {
		return authn.Reject("ServiceAccount was re-created")
	}
	value, ok := sa.Annotations[s.creatorKey]
	if !ok {
		return authn.Skip("no creator annotation")
	}

	human, hops, d, ok := s.resolve(sa, value)
	if !ok {
		return d
	}
	actor := *sofar.Actor
	actor.UID = string(sa.UID)
	actor.Attributes = s.attributes(actor.Attributes, sa)
	reason := "creator annotation"
	switch {
	case hops == 1:
		reason = "creator annotation via 1 key"
	case hops > 1:
		reason = "creator annotation via " + strconv.Itoa(hops) + " keys"
	}
	p := sofar // refine, so that a verified Credential stays
	p.User, p.Actor = authn.User{Name: human}, &actor
	return authn.Contribute(p, reason)
}

// saRef names a ServiceAccount on a creator chain.
type saRef struct{ namespace, name string }

// resolve follows value, the creator annotation of sa, to a human. It
// returns the human and the number of parent keys followed, or ok == false
// and the decision to return.
func (s *AnnotationStrategy) resolve(sa *corev1.ServiceAccount, value string) (human string, hops int, d authn.Decision, ok bool) {
	var seenBuf [defaultMaxHops + 1]saRef
	seen := append(seenBuf[:0], saRef{sa.Namespace, sa.Name})
	what := "creator annotation"
	for {
		if reason := checkCreatorValue(value); reason != "" {
			return "", 0, authn.Reject(what + " " + reason), false
		}
		if reason := s.provenance(sa, value); reason != "" {
			return "", 0, authn.Reject(what + " fails provenance: " + reason), false
		}
		if !strings.HasPrefix(value, authn.SystemPrefix) {
			return value, hops, authn.Decision{}, true
		}
		if !authn.IsServiceAccountSubject(value) {
			return "", 0, authn.Reject(what + " names a reserved system: user"), false
		}
		parent, err := authn.ParseServiceAccountSubject(value)
		if err != nil {
			return "", 0, authn.Reject(what + " is a malformed ServiceAccount subject: " + err.Error()), false
		}
		ref := saRef{parent.Namespace, parent.Name}
		if slices.Contains(seen, ref) {
			return "", 0, authn.Reject("creator chain has a cycle"), false
		}
		seen = append(seen, ref)
		if hops++; hops > s.maxHops {
			return "", 0, authn.Reject("creator chain longer than " + strconv.Itoa(s.maxHops)), false
		}
		// From here on the chain must end at a human: a key minted by a
		// key that cannot be resolved is refused, not made synthetic.
		sa, err = s.lister.ServiceAccounts(parent.Namespace).Get(parent.Name)
		if err != nil {
			if apierrors.IsNotFound(err) {
				return "", 0, authn.Reject("creator chain: parent key not in cache"), false
			}
			return "", 0, authn.Fail("ServiceAccount cache lookup failed", err), false
		}
		if value, ok = sa.Annotations[s.creatorKey]; !ok {
			return "", 0, authn.Reject("creator chain: parent key has no creator annotation"), false
		}
		what = "parent key's creator annotation"
	}
}

// provenance returns which check the creator annotation value of sa fails,
// or "" if it passes them all.
func (s *AnnotationStrategy) provenance(sa *corev1.ServiceAccount, value string) string {
	for _, l := range s.labels {
		if v, ok := sa.Labels[l.key]; !ok || v != l.value {
			if l.value == "" {
				return "label " + l.key + " is missing"
			}
			return "label " + l.key + " is not " + l.value
		}
	}
	if s.namespaces != nil && !s.namespaces[sa.Namespace] {
		return "namespace not allowed"
	}
	if s.binding != nil {
		b, ok := sa.Annotations[s.bindingKey]
		if !ok {
			return "binding signature missing"
		}
		if s.binding.verify(sa.Namespace, sa.Name, string(sa.UID), value, b) != nil {
			return "binding signature invalid"
		}
	}
	return ""
}

// checkCreatorValue returns why value cannot be a user name, or "". The
// reason never contains the value.
func checkCreatorValue(value string) string {
	switch {
	case value == "":
		return "is empty"
	case strings.TrimSpace(value) != value:
		// "alice " would be a different user that looks like alice.
		return "has surrounding white space"
	}
	return identityValueProblem(value, maxCreatorLen)
}

// attributes returns base with the CopyAttributes keys of sa laid over it.
// base is not modified; it is returned as is when nothing is copied.
func (s *AnnotationStrategy) attributes(base map[string]string, sa *corev1.ServiceAccount) map[string]string {
	var out map[string]string
	for _, k := range s.copyKeys {
		v, ok := sa.Annotations[k]
		if !ok {
			v, ok = sa.Labels[k]
		}
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(base)+len(s.copyKeys))
			maps.Copy(out, base)
		}
		out[k] = v
	}
	if out == nil {
		return base
	}
	return out
}
