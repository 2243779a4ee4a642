package strategies

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/validate/content"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/nilcheck"
	"github.com/authchain/authchain/internal/notbuilt"
)

// DefaultCreatorAnnotation is the ServiceAccount annotation naming the user
// who created an access key.
const DefaultCreatorAnnotation = "ambient-code.io/created-by-user-id"

// DefaultCreatorUIDAnnotation is the ServiceAccount annotation that pins a
// key created by another key to that key's incarnation: it holds the UID of
// the ServiceAccount the creator annotation names. It is read only when the
// creator is a ServiceAccount.
const DefaultCreatorUIDAnnotation = "ambient-code.io/created-by-uid"

const (
	defaultMaxHops = 3
	// maxCreatorLen bounds a creator value; no real user name comes close,
	// and it caps the work an attacker-sized annotation can cause.
	maxCreatorLen = 1024
)

// AnnotationOption configures CreatorAnnotation.
type AnnotationOption func(*annotationConfig)

type annotationConfig struct {
	creatorKey    string
	creatorUIDKey string
	bindingKey    string
	labels        map[string]string
	namespaces    map[string]bool
	bindingKeys   [][]byte
	insecure      bool
	maxHops       int
	copyKeys      []string
	skipUnsynced  bool
	errs          []error
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

// WithCreatorUIDAnnotation sets the annotation that holds the UID of a
// creating ServiceAccount; the default is DefaultCreatorUIDAnnotation. The
// key must be a valid annotation key.
func WithCreatorUIDAnnotation(key string) AnnotationOption {
	return func(c *annotationConfig) { c.creatorUIDKey = key }
}

// WithBindingAnnotation sets the annotation that holds the signed binding
// checked by RequireSignedBinding; the default is binding.DefaultAnnotation.
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
// annotation holds a binding.Sign value, under any of keys, for the
// ServiceAccount's namespace, name and UID, the annotation's value, the UID
// of the creating ServiceAccount when the creator is one (read from the
// cache), and the value of every CopyAttributes key the ServiceAccount
// carries. This is the check that holds even against someone who may edit
// every ServiceAccount: without a key they cannot bind a user or change an
// attribute, and a binding survives neither re-creating the ServiceAccount
// nor re-creating its parent key.
//
// A binding that covers an attribute the strategy does not copy, or that
// the ServiceAccount no longer carries, is refused too. A v1 binding (from
// before attributes and parent UIDs were signed) still verifies where it
// covers everything needed: a human creator and no copied attribute
// present; re-sign the others with binding.Sign.
//
// Give the new key first and the old one after it while rotating. Each key
// must be at least binding.MinKeyLen bytes; the keys are copied.
func RequireSignedBinding(keys ...[]byte) AnnotationOption {
	return func(c *annotationConfig) {
		// Built here only to check the keys; the strategy builds one Verifier
		// from the keys of every RequireSignedBinding given.
		if _, err := binding.NewVerifier(keys...); err != nil {
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
// Actor.Attributes, so authorization can cap what a key may do. A key may
// be a label or an annotation; a ServiceAccount carrying it as both is
// refused rather than have one silently win. Under RequireSignedBinding
// every copied attribute a ServiceAccount carries must be covered by its
// binding, or the request is refused. The binding annotation cannot be
// copied, so signatures do not spread into logs.
//
// An attribute that is absent is no proof of anything: someone who may edit
// ServiceAccounts can delete a key's role together with its binding, and a
// key without a creator then serves as its synthetic user without the
// role. Authorize a key that lacks a cap attribute with the least
// privilege, never the most.
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

// errWrongObject is a ServiceAccountReader answering with another object
// than the one asked for: a broken cache, never trusted with a binding.
var errWrongObject = errors.New("the ServiceAccountReader answered with another ServiceAccount")

// AnnotationStrategy resolves an access key's ServiceAccount to the human
// who created it. Build it with CreatorAnnotation. It is safe for
// concurrent use.
type AnnotationStrategy struct {
	sas           ServiceAccountReader
	creatorKey    string
	creatorUIDKey string
	bindingKey    string
	labels        []labelRequirement
	namespaces    map[string]bool
	binding       *binding.Verifier
	maxHops       int
	copyKeys      []string
	skipUnsynced  bool
}

// CreatorAnnotation returns the strategy named "annotation". It applies
// when an Actor is set and no User is, as after ServiceAccount, whether the
// Actor came from a forwarded subject or a verified token:
//
//   - it reads the Actor's ServiceAccount from sas only, an informer cache,
//     never the API server; until sas.HasSynced reports true it fails (503),
//     and so does a look-up that returns an error or another object than
//     the one asked for;
//   - a ServiceAccount not in the cache is not its business (a later
//     Synthetic strategy may apply), except that an Actor with a UID (set
//     from a verified token) whose ServiceAccount is gone is rejected;
//   - a ServiceAccount whose deletion has begun (metadata.deletionTimestamp
//     set, a finalizer holding it) is rejected at once, with or without a
//     creator annotation; Kubernetes keeps accepting its tokens for 60
//     seconds after that, this strategy does not;
//   - if Actor.UID is set and differs from the cached object's, the
//     ServiceAccount was re-created and the request is rejected;
//   - a ServiceAccount without the creator annotation names no human (a
//     later Synthetic strategy may stand in), but the copied attributes it
//     carries still cap what it may do: if it carries any, they must pass
//     the provenance checks as a creator would (under RequireSignedBinding,
//     a binding signed with an empty Creator must cover them), and are then
//     copied into the Actor, with its UID; otherwise the request is
//     rejected, so that a key never serves without its cap. A key carrying
//     none is not its business;
//   - a present creator annotation must pass every configured provenance
//     check (RequireLabels, RequireNamespaces, RequireSignedBinding) and be
//     at most 1024 bytes; a value that is not a ServiceAccount subject must
//     pass authn.CheckUserName, which refuses system: and the synthetic
//     prefix in any letter case, invisible characters, white space other
//     than inner spaces, and names not in NFC. Otherwise the request is
//     rejected, never passed on to a weaker strategy;
//   - a value that is a ServiceAccount subject names the key this key was
//     created with. That parent must be in the cache, not being deleted, and
//     the very incarnation the child was made by: the binding covers its UID
//     under RequireSignedBinding, and otherwise the child's
//     DefaultCreatorUIDAnnotation must hold it (a missing or different UID
//     is rejected; under a binding a present one must match too). The
//     parent's creator annotation is then followed with the same checks,
//     for at most WithMaxHops keys and without cycles, and must end at a
//     human, or the request is rejected;
//   - the copied attributes (CopyAttributes) are refused when one is both a
//     label and an annotation;
//   - the result keeps the Actor, with UID set from the cached object and
//     the attributes chosen by CopyAttributes, and sets User to the human;
//     its reason is "creator annotation", or "creator annotation via N
//     keys" ("via 1 key") when N parent keys were followed.
//
// A rejection's Reason names the check that failed, such as "creator
// annotation failed provenance"; which label, namespace, attribute or
// bound was involved is in the Decision's Detail, kept out of responses.
//
// It returns an error if sas is nil (an interface holding a nil pointer
// counts as nil), an option is invalid, or no provenance check is
// configured and InsecureAcceptUnverifiedAnnotations is not given.
func CreatorAnnotation(sas ServiceAccountReader, opts ...AnnotationOption) (*AnnotationStrategy, error) {
	c := annotationConfig{
		creatorKey:    DefaultCreatorAnnotation,
		creatorUIDKey: DefaultCreatorUIDAnnotation,
		bindingKey:    binding.DefaultAnnotation,
		maxHops:       defaultMaxHops,
	}
	if nilcheck.IsNil(sas) {
		c.errorf("the ServiceAccountReader is nil")
	}
	for i, opt := range opts {
		if opt == nil {
			c.errorf("option %d is nil", i)
			continue
		}
		opt(&c)
	}
	for _, key := range []string{c.creatorKey, c.creatorUIDKey, c.bindingKey} {
		if msgs := content.IsLabelKey(key); len(msgs) > 0 {
			c.errorf("annotation key %q: %s", key, strings.Join(msgs, "; "))
		}
	}
	if c.creatorKey == c.bindingKey {
		c.errorf("creator and binding annotations are both %q", c.creatorKey)
	}
	if c.creatorUIDKey == c.creatorKey || c.creatorUIDKey == c.bindingKey {
		c.errorf("the creator uid annotation %q is also the creator or binding annotation", c.creatorUIDKey)
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
		sas:           sas,
		creatorKey:    c.creatorKey,
		creatorUIDKey: c.creatorUIDKey,
		bindingKey:    c.bindingKey,
		namespaces:    c.namespaces,
		maxHops:       c.maxHops,
		copyKeys:      c.copyKeys,
		skipUnsynced:  c.skipUnsynced,
	}
	for k, v := range c.labels {
		s.labels = append(s.labels, labelRequirement{k, v})
	}
	slices.SortFunc(s.labels, func(a, b labelRequirement) int { return strings.Compare(a.key, b.key) })
	if c.bindingKeys != nil {
		v, err := binding.NewVerifier(c.bindingKeys...)
		if err != nil {
			return nil, fmt.Errorf("strategies: CreatorAnnotation: RequireSignedBinding: %w", err)
		}
		s.binding = v
	}
	return s, nil
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by CreatorAnnotation.
func (s *AnnotationStrategy) Validate() error {
	if s == nil || s.sas == nil || s.creatorKey == "" || s.maxHops < 1 {
		return notbuilt.Error("AnnotationStrategy", "CreatorAnnotation")
	}
	return nil
}

// Name returns "annotation".
func (*AnnotationStrategy) Name() string { return "annotation" }

// Projection returns the labels and annotations of a ServiceAccount the
// strategy reads: the required labels, the creator, creator UID and (under
// RequireSignedBinding) binding annotations, and every CopyAttributes key
// both as a label and as an annotation. A cache that keeps less answers
// differently from a full one; check it with kubecache.CheckProjection.
func (s *AnnotationStrategy) Projection() Projection {
	var p Projection
	for _, l := range s.labels {
		p.Labels = append(p.Labels, l.key)
	}
	p.Labels = append(p.Labels, s.copyKeys...)
	p.Annotations = append(p.Annotations, s.creatorKey, s.creatorUIDKey)
	if s.binding != nil {
		p.Annotations = append(p.Annotations, s.bindingKey)
	}
	p.Annotations = append(p.Annotations, s.copyKeys...)
	return p.normalized()
}

// Authenticate implements authn.Strategy; see CreatorAnnotation.
func (s *AnnotationStrategy) Authenticate(_ *http.Request, sofar authn.Principal) authn.Decision {
	if sofar.Actor == nil || !sofar.User.IsZero() {
		return authn.Skip("no actor awaiting a user")
	}
	if !s.sas.HasSynced() {
		if s.skipUnsynced {
			return authn.Skip("ServiceAccount cache not synced")
		}
		return authn.Fail("ServiceAccount cache not synced", nil)
	}
	meta, found, err := s.sas.ServiceAccount(sofar.Actor.Namespace, sofar.Actor.Name)
	sa := &meta
	switch {
	case err != nil:
		return authn.Fail("ServiceAccount cache lookup failed", err)
	case !found:
		if sofar.Actor.UID != "" {
			// A uid comes from a verified token: its ServiceAccount was
			// deleted, and the token must die with it.
			return authn.Reject("the token's ServiceAccount no longer exists")
		}
		return authn.Skip("ServiceAccount not in cache")
	case sa.Namespace != sofar.Actor.Namespace || sa.Name != sofar.Actor.Name:
		return authn.Fail("ServiceAccount cache lookup failed", errWrongObject)
	}
	// Before the annotation is looked at, so that a key being deleted
	// cannot fall back to a synthetic identity either.
	if sa.Deleting {
		return authn.Reject("ServiceAccount is being deleted")
	}
	if sofar.Actor.UID != "" && sofar.Actor.UID != sa.UID {
		return authn.Reject("ServiceAccount was re-created")
	}
	value, ok := sa.Annotation(s.creatorKey)
	if !ok {
		return s.withoutCreator(sofar, sa)
	}

	human, hops, d, ok := s.resolve(sa, value)
	if !ok {
		return d
	}
	attributes, detail := s.attributes(sofar.Actor.Attributes, sa)
	if detail != "" {
		return authn.Reject("copied attribute is ambiguous").WithDetail(detail)
	}
	actor := *sofar.Actor
	actor.UID = sa.UID
	actor.Attributes = attributes
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

// withoutCreator decides about sa, the Actor's ServiceAccount, which has no
// creator annotation: see CreatorAnnotation.
func (s *AnnotationStrategy) withoutCreator(sofar authn.Principal, sa *ServiceAccountMeta) authn.Decision {
	carries, inherited := false, false
	for _, k := range s.copyKeys {
		if _, _, present := attribute(sa, k); present {
			carries = true
		}
		if _, ok := sofar.Actor.Attributes[k]; ok {
			inherited = true
		}
	}
	_, hasBinding := sa.Annotation(s.bindingKey)
	signed := hasBinding && s.binding != nil
	if !carries && !inherited && !signed {
		return authn.Skip("no creator annotation")
	}
	attributes, detail := s.attributes(sofar.Actor.Attributes, sa)
	if detail != "" {
		return authn.Reject("copied attribute is ambiguous").WithDetail(detail)
	}
	if carries {
		if detail := s.policy(sa); detail != "" {
			return authn.Reject("copied attributes failed provenance").WithDetail(detail)
		}
	}
	if s.binding != nil && (carries || hasBinding) {
		// A binding present is checked even when no attribute is left: it
		// may list one that was removed to lift the cap.
		if detail := s.checkBinding(sa, "", ""); detail != "" {
			return authn.Reject("copied attributes failed provenance").WithDetail(detail)
		}
	}
	if !carries && !inherited {
		return authn.Skip("no creator annotation")
	}
	actor := *sofar.Actor
	actor.UID = sa.UID
	actor.Attributes = attributes
	p := sofar // no User: a later strategy may stand in for the missing human
	p.Actor = &actor
	return authn.Contribute(p, "attributes of a key without a creator")
}

// saRef names a ServiceAccount on a creator chain.
type saRef struct{ namespace, name string }

// resolve follows value, the creator annotation of sa, to a human. It
// returns the human and the number of parent keys followed, or ok == false
// and the decision to return. Every key on the way passes the same checks.
func (s *AnnotationStrategy) resolve(sa *ServiceAccountMeta, value string) (human string, hops int, d authn.Decision, ok bool) {
	var seenBuf [defaultMaxHops + 1]saRef
	seen := append(seenBuf[:0], saRef{sa.Namespace, sa.Name})
	// Parents are read into these two slots in turn, so that the one being
	// checked stays intact; declared outside the loop to stay on the stack.
	var parents [2]ServiceAccountMeta
	what := "creator annotation"
	for {
		subject := authn.IsServiceAccountSubject(value)
		var ref authn.ServiceAccount
		switch {
		case len(value) > maxCreatorLen:
			return "", 0, authn.Reject(what + " " + tooLong(maxCreatorLen)), false
		case subject:
			var err error
			if ref, err = authn.ParseServiceAccountSubject(value); err != nil {
				return "", 0, authn.Reject(what + " is a malformed ServiceAccount subject: " + err.Error()), false
			}
		default:
			if err := authn.CheckUserName(value); err != nil {
				// The rule's errors are constants that never quote the value.
				return "", 0, authn.Reject(what + " " + err.Error()), false
			}
		}
		if detail := s.policy(sa); detail != "" {
			return "", 0, authn.Reject(what + " failed provenance").WithDetail(detail), false
		}

		var parent *ServiceAccountMeta
		creatorUID := ""
		if subject {
			r := saRef{ref.Namespace, ref.Name}
			if slices.Contains(seen, r) {
				return "", 0, authn.Reject("creator chain has a cycle"), false
			}
			seen = append(seen, r)
			if hops++; hops > s.maxHops {
				bound := strconv.Itoa(s.maxHops) + " keys"
				if s.maxHops == 1 {
					bound = "1 key"
				}
				return "", 0, authn.Reject("creator chain too long").WithDetail("longer than " + bound), false
			}
			// From here on the chain must end at a human: a key minted by a
			// key that cannot be resolved is refused, not made synthetic.
			slot := &parents[hops%2]
			var found bool
			var err error
			*slot, found, err = s.sas.ServiceAccount(ref.Namespace, ref.Name)
			switch {
			case err != nil:
				return "", 0, authn.Fail("ServiceAccount cache lookup failed", err), false
			case !found:
				return "", 0, authn.Reject("creator chain: parent key not in cache"), false
			case slot.Namespace != ref.Namespace || slot.Name != ref.Name:
				return "", 0, authn.Fail("ServiceAccount cache lookup failed", errWrongObject), false
			}
			parent = slot
			if parent.Deleting {
				return "", 0, authn.Reject("creator chain: parent key is being deleted"), false
			}
			if creatorUID = parent.UID; creatorUID == "" {
				return "", 0, authn.Reject("creator chain: parent key has no uid"), false
			}
			if detail := s.checkCreatorUID(sa, creatorUID); detail != "" {
				return "", 0, authn.Reject(what + " failed provenance").WithDetail(detail), false
			}
		}
		if s.binding != nil {
			if detail := s.checkBinding(sa, value, creatorUID); detail != "" {
				return "", 0, authn.Reject(what + " failed provenance").WithDetail(detail), false
			}
		}
		if !subject {
			return value, hops, authn.Decision{}, true
		}
		if value, ok = parent.Annotation(s.creatorKey); !ok {
			return "", 0, authn.Reject("creator chain: parent key has no creator annotation"), false
		}
		sa, what = parent, "parent key's creator annotation"
	}
}

// policy returns which label or namespace requirement sa fails, or "".
func (s *AnnotationStrategy) policy(sa *ServiceAccountMeta) string {
	for _, l := range s.labels {
		if v, ok := sa.Label(l.key); !ok || v != l.value {
			if l.value == "" {
				return "label " + l.key + " is missing"
			}
			return "label " + l.key + " is not " + l.value
		}
	}
	if s.namespaces != nil && !s.namespaces[sa.Namespace] {
		// A namespace is a DNS label (the object exists), safe to log.
		return "namespace " + sa.Namespace + " is not allowed"
	}
	return ""
}

// checkCreatorUID returns why sa, whose creator annotation names a key
// whose cached UID is parentUID, does not pin that incarnation, or "". The
// annotation is required unless a binding, which covers the UID, is.
func (s *AnnotationStrategy) checkCreatorUID(sa *ServiceAccountMeta, parentUID string) string {
	recorded, ok := sa.Annotation(s.creatorUIDKey)
	switch {
	case !ok && s.binding != nil:
		return ""
	case !ok:
		return "annotation " + s.creatorUIDKey + " is missing"
	case recorded != parentUID:
		return "annotation " + s.creatorUIDKey + " does not match the parent key's uid: the parent was re-created"
	}
	return ""
}

// checkBinding returns why sa's binding does not cover its incarnation,
// value (its creator annotation), creatorUID and the copied attributes it
// carries, or "". The answer never quotes an annotation's value or a key
// not configured.
func (s *AnnotationStrategy) checkBinding(sa *ServiceAccountMeta, value, creatorUID string) string {
	raw, ok := sa.Annotation(s.bindingKey)
	if !ok {
		return "binding signature missing"
	}
	b, err := binding.Parse(raw)
	if err != nil {
		return "binding is malformed"
	}
	if b.Version() == 1 {
		if creatorUID != "" {
			return "v1 binding does not cover the parent key's uid: re-sign it as v2"
		}
		for _, k := range s.copyKeys {
			if _, _, present := attribute(sa, k); present {
				return "v1 binding does not cover attribute " + k + ": re-sign it as v2"
			}
		}
	} else {
		// Every copied attribute the key carries must be signed ...
		for _, k := range s.copyKeys {
			if _, _, present := attribute(sa, k); present && !b.Covers(k) {
				return "attribute " + k + " is not covered by the binding"
			}
		}
		// ... and every signed one copied and carried, once.
		for k := range b.Keys() {
			if !slices.Contains(s.copyKeys, k) {
				return "binding covers an attribute that is not copied"
			}
			if _, _, present := attribute(sa, k); !present {
				return "binding covers attribute " + k + ", which the key does not carry"
			}
		}
		for k := range b.Keys() {
			if _, ambiguous, _ := attribute(sa, k); ambiguous {
				return "attribute " + k + " is both a label and an annotation"
			}
		}
	}
	covered := binding.Binding{Namespace: sa.Namespace, Name: sa.Name, UID: sa.UID, Creator: value, CreatorUID: creatorUID}
	switch err := s.binding.VerifyListed(covered, b, func(k string) string {
		v, _, _ := attribute(sa, k)
		return v
	}); {
	case err == nil:
		return ""
	case errors.Is(err, binding.ErrMismatch):
		return "binding signature invalid"
	default:
		// Checked above or ruled out by resolve: a creator uid only for a
		// subject, listed keys that are copied (valid label keys).
		return "binding is invalid"
	}
}

// attribute returns the value of key on sa, as an annotation or a label,
// and whether it is present, or present as both (ambiguous).
func attribute(sa *ServiceAccountMeta, key string) (value string, ambiguous, present bool) {
	a, inAnnotations := sa.Annotation(key)
	l, inLabels := sa.Label(key)
	switch {
	case inAnnotations && inLabels:
		return "", true, true
	case inAnnotations:
		return a, false, true
	case inLabels:
		return l, false, true
	}
	return "", false, false
}

// attributes returns base with the CopyAttributes keys of sa laid over it,
// or the detail of why a key is ambiguous. The copied keys are this
// strategy's alone: one that sa does not carry is removed from base, so a
// value an earlier strategy set never passes for a checked one. base is
// not modified; it is returned as is when it holds no copied key and
// nothing is copied.
func (s *AnnotationStrategy) attributes(base map[string]string, sa *ServiceAccountMeta) (map[string]string, string) {
	var out map[string]string
	for _, k := range s.copyKeys {
		if _, ok := base[k]; ok {
			out = make(map[string]string, len(base)+len(s.copyKeys))
			maps.Copy(out, base)
			for _, k := range s.copyKeys {
				delete(out, k)
			}
			break
		}
	}
	for _, k := range s.copyKeys {
		v, ambiguous, present := attribute(sa, k)
		if ambiguous {
			return nil, "attribute " + k + " is both a label and an annotation"
		}
		if !present {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(base)+len(s.copyKeys))
			maps.Copy(out, base)
		}
		out[k] = v
	}
	if out == nil {
		return base, ""
	}
	return out, ""
}
