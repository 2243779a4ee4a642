// Package claimmap reads a user's name, groups, uid and email out of a
// verified token's claims the way Kubernetes' JWT authenticator reads a
// claim mapping. It serves authn/bearer/oidc, which maps claims given by
// name, and authnconfig, which mixes such claims with CEL expressions.
// Errors name the claim (configuration), never its value (the token's).
package claimmap

import (
	"errors"
	"fmt"
)

// EmailClaim is the claim whose use as a name or email requires
// EmailVerifiedClaim to be true when present, as Kubernetes requires.
const (
	EmailClaim         = "email"
	EmailVerifiedClaim = "email_verified"
)

// Username returns prefix + the string claim. The claim is required.
func Username(claims map[string]any, claim, prefix string) (string, error) {
	v, ok, err := stringClaim(claims, claim)
	switch {
	case err != nil:
		return "", fmt.Errorf("username %w", err)
	case !ok || v == "":
		return "", fmt.Errorf("username claim %q is missing", claim)
	}
	if err := emailVerified(claims, claim); err != nil {
		return "", err
	}
	return prefix + v, nil
}

// Groups returns prefix + each group the claim names: a string (one
// group) or a list of strings. No claim is no groups.
func Groups(claims map[string]any, claim, prefix string) ([]string, error) {
	raw, ok := claims[claim]
	if !ok || raw == nil {
		return nil, nil
	}
	var groups []string
	switch v := raw.(type) {
	case string:
		groups = []string{v}
	case []any:
		groups = make([]string, 0, len(v))
		for _, g := range v {
			s, ok := g.(string)
			if !ok {
				return nil, fmt.Errorf("groups claim %q holds a value that is not a string", claim)
			}
			groups = append(groups, s)
		}
	default:
		return nil, fmt.Errorf("groups claim %q is neither a string nor a list of strings", claim)
	}
	for i, g := range groups {
		groups[i] = prefix + g
	}
	return groups, nil
}

// UID returns the string claim; it is required once configured, since a
// mapping that names it expects every user to have one.
func UID(claims map[string]any, claim string) (string, error) {
	v, ok, err := stringClaim(claims, claim)
	switch {
	case err != nil:
		return "", fmt.Errorf("uid %w", err)
	case !ok || v == "":
		return "", fmt.Errorf("uid claim %q is missing", claim)
	}
	return v, nil
}

// Email returns the string claim, or "" when there is none.
func Email(claims map[string]any, claim string) (string, error) {
	v, _, err := stringClaim(claims, claim)
	if err != nil {
		return "", fmt.Errorf("email %w", err)
	}
	if v == "" {
		return "", nil
	}
	if err := emailVerified(claims, claim); err != nil {
		return "", err
	}
	return v, nil
}

func stringClaim(claims map[string]any, claim string) (string, bool, error) {
	raw, ok := claims[claim]
	if !ok || raw == nil {
		return "", false, nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", false, fmt.Errorf("claim %q is not a string", claim)
	}
	return s, true, nil
}

// errEmailNotVerified refuses an email the issuer says it did not verify.
var errEmailNotVerified = errors.New("claim \"email\" is used but \"email_verified\" is not true")

// emailVerified applies Kubernetes' rule to a use of claim: the email
// claim counts only if email_verified, when present, is the boolean true.
func emailVerified(claims map[string]any, claim string) error {
	if claim != EmailClaim {
		return nil
	}
	raw, ok := claims[EmailVerifiedClaim]
	if !ok {
		return nil
	}
	if v, isBool := raw.(bool); !isBool || !v {
		return errEmailNotVerified
	}
	return nil
}
