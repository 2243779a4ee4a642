package strategies

import (
	"net/http"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/notbuilt"
)

// SyntheticOption configures Synthetic. A nil option is ignored.
type SyntheticOption func(*syntheticConfig)

type syntheticConfig struct {
	name func(authn.ServiceAccount) string
}

// WithSyntheticName sets how the synthetic user is named from the acting
// ServiceAccount. A nil function keeps the default, the legacy id
// authn.LegacyID(sa.Subject()), e.g. system-serviceaccount-NS-NAME.
//
// A custom name must start with authn.SyntheticNamePrefix and pass
// authn.CheckName; otherwise the request is rejected. The identity-name rule
// keeps that prefix from every human, so a synthetic user can never share
// a name with one.
func WithSyntheticName(name func(authn.ServiceAccount) string) SyntheticOption {
	return func(c *syntheticConfig) {
		if name != nil {
			c.name = name
		}
	}
}

// SyntheticStrategy names a stand-in user for a ServiceAccount whose human
// could not be found. Build it with Synthetic.
type SyntheticStrategy struct {
	name func(authn.ServiceAccount) string
}

// Synthetic returns the strategy named "synthetic". Put it last: when an
// Actor is set and no User has been established, it contributes a User
// named from the Actor, flags the Principal Synthetic and keeps the Actor,
// so that authorization can tell a stand-in from a resolved human. A name
// that does not start with authn.SyntheticNamePrefix, or fails
// authn.CheckName, is rejected, so the result is never a human's, an empty
// or a system: identity. Otherwise it does not apply.
//
// The default name is the legacy id, kept so that data stored under it is
// found; it is lossy (namespace "team-x" key "bot" and namespace "team" key
// "x-bot" share it). Key data by Principal.StorageKey, which for a synthetic
// user follows the Actor and stays distinct, and authorize a synthetic
// principal by its Actor, never by its name.
func Synthetic(opts ...SyntheticOption) *SyntheticStrategy {
	c := syntheticConfig{name: legacySyntheticName}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	return &SyntheticStrategy{name: c.name}
}

// legacySyntheticName is the id older platforms stored a key's data under.
func legacySyntheticName(sa authn.ServiceAccount) string {
	return authn.LegacyID(sa.Subject())
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by Synthetic.
func (s *SyntheticStrategy) Validate() error {
	if s == nil || s.name == nil {
		return notbuilt.Error("SyntheticStrategy", "Synthetic")
	}
	return nil
}

// Name returns "synthetic".
func (*SyntheticStrategy) Name() string { return "synthetic" }

// Authenticate implements authn.Strategy; see Synthetic.
func (s *SyntheticStrategy) Authenticate(_ *http.Request, sofar authn.Principal) authn.Decision {
	if sofar.Actor == nil || !sofar.User.IsZero() {
		return authn.Skip("no actor awaiting a user")
	}
	name := s.name(*sofar.Actor)
	if err := authn.CheckSyntheticName(name); err != nil {
		return authn.Reject("synthetic name " + err.Error())
	}
	p := sofar // refine, so that a verified Credential stays
	p.User, p.Synthetic = authn.User{Name: name}, true
	return authn.Contribute(p, "synthetic user for ServiceAccount")
}
