package assertion

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/authchain/authchain/authn"
)

// PlainHeaders writes the Principal into plain headers for a downstream
// that cannot verify an assertion and believes whoever can reach it (so
// only behind a network policy that lets no one else). Build it with
// NewPlainHeaders; it is safe for concurrent use.
type PlainHeaders struct {
	user, groups, actor string
	strip               authn.HeaderSet
}

// NewPlainHeaders returns PlainHeaders that put the user's name in user,
// one value per group in groups, and the Actor's subject
// (system:serviceaccount:NS:NAME) in actor; groups and actor may be "" to
// send neither. Each name must be a valid header name.
func NewPlainHeaders(user, groups, actor string) (*PlainHeaders, error) {
	var errs []error
	names := []string{AssertionHeader}
	for _, h := range []struct{ role, name string }{{"user", user}, {"groups", groups}, {"actor", actor}} {
		switch {
		case h.name == "" && h.role == "user":
			errs = append(errs, errors.New("no user header"))
		case h.name == "":
		case !authn.ValidHeaderName(h.name):
			errs = append(errs, fmt.Errorf("%s header %q is not a valid header name", h.role, h.name))
		default:
			names = append(names, h.name)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("assertion: NewPlainHeaders: %w", err)
	}
	own, err := authn.NewHeaderSet(names...)
	if err != nil {
		return nil, fmt.Errorf("assertion: NewPlainHeaders: %w", err)
	}
	return &PlainHeaders{
		user:   http.CanonicalHeaderKey(user),
		groups: canonicalOrEmpty(groups),
		actor:  canonicalOrEmpty(actor),
		strip:  authn.DefaultIdentityHeaders().Union(own),
	}, nil
}

func canonicalOrEmpty(name string) string {
	if name == "" {
		return ""
	}
	return http.CanonicalHeaderKey(name)
}

// Set first deletes from h, in every spelling, every header of
// authn.DefaultIdentityHeaders, AssertionHeader and the configured headers,
// so that no inbound copy survives, then writes p's: the user's name, its
// groups, and the Actor's subject when there is an Actor. It returns
// ErrNoPrincipal, having only deleted, when p has no user, and, having only
// deleted, an error wrapping ErrInvalidPrincipal when a group holds a
// comma: any hop may join repeated header lines with commas (RFC 9110,
// section 5.3), and a downstream that splits "dev,system:masters" would
// read a group the Principal never had.
func (ph *PlainHeaders) Set(h http.Header, p authn.Principal) error {
	ph.strip.Strip(h)
	if p.User.IsZero() {
		return ErrNoPrincipal
	}
	if ph.groups != "" {
		for _, g := range p.User.Groups {
			if strings.IndexByte(g, ',') >= 0 {
				return fmt.Errorf("%w: a group holds a comma, which plain headers cannot carry", ErrInvalidPrincipal)
			}
		}
	}
	h.Set(ph.user, p.User.Name)
	if ph.groups != "" {
		for _, g := range p.User.Groups {
			h.Add(ph.groups, g)
		}
	}
	if ph.actor != "" && p.Actor != nil {
		h.Set(ph.actor, p.Actor.Subject())
	}
	return nil
}
