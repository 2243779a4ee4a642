// Package boundkind holds what the token strategies share about the
// objects a Kubernetes token is bound to: which kinds an option may accept,
// and how a verified token's bound objects become Credential.Bindings.
package boundkind

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/authchain/authchain/authn"
)

// Reasons a token's binding is refused; fixed text.
const (
	ReasonUnchecked            = "token bound to an object kind this verifier does not check"
	ReasonUncheckedAttestation = "token carries attestations without a binding this verifier accepts"
	ReasonIncomplete           = "token names a bound object without name and uid"
)

// reservedClaimKeys are the keys of the kubernetes.io claim that a bound-kind
// option may not name: the strategies read them themselves.
func reservedClaimKeys() []string {
	return []string{"namespace", "serviceaccount", "pod", "node", "secret", "warnafter", "attestations"}
}

// Add returns kinds added to have, without repeats, once they are valid;
// it is the body of the bound-kind options.
func Add(have, kinds []string) ([]string, error) {
	if err := checkKinds(kinds); err != nil {
		return have, err
	}
	for _, k := range kinds {
		if !slices.Contains(have, k) {
			have = append(have, k)
		}
	}
	return have, nil
}

// checkKinds validates the kinds given to a bound-kind option: lower
// case letters and digits, as Kubernetes spells them, and none the
// strategies read themselves.
func checkKinds(kinds []string) error {
	if len(kinds) == 0 {
		return errors.New("needs at least one kind")
	}
	for _, k := range kinds {
		if k == "" || strings.TrimFunc(k, func(r rune) bool { return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' }) != "" {
			return fmt.Errorf("kind %.64q is not lower-case letters and digits, as Kubernetes names bound kinds", k)
		}
		if slices.Contains(reservedClaimKeys(), k) {
			return fmt.Errorf("kind %q is read by the strategy itself", k)
		}
	}
	return nil
}

// Bindings turns the bound objects and attestations a verified token
// carries into the Credential's Bindings: every kind must be in accepted,
// every object must have a name and a uid, and attestations come only with
// such a binding. objects maps kinds to name and uid; the order of the
// result follows accepted. It returns the reason to refuse the token, or "".
func Bindings(accepted []string, objects map[string]authn.BoundObject, attestations map[string][]string) ([]authn.Binding, string) {
	if len(objects) == 0 {
		if len(attestations) > 0 {
			return nil, ReasonUncheckedAttestation
		}
		return nil, ""
	}
	var out []authn.Binding
	for _, kind := range accepted {
		o, ok := objects[kind]
		if !ok {
			continue
		}
		if o.Name == "" || o.UID == "" {
			return nil, ReasonIncomplete
		}
		b := authn.Binding{Kind: kind, Name: o.Name, UID: o.UID}
		if len(attestations) > 0 {
			b.Attestations = make(map[string][]string, len(attestations))
			for k, v := range attestations {
				b.Attestations[k] = slices.Clone(v)
			}
		}
		out = append(out, b)
	}
	if len(out) != len(objects) {
		return nil, ReasonUnchecked
	}
	return out, ""
}
