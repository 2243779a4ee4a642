package authntest

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/authn"
)

// ComparePrincipals returns go-cmp options for comparing authn.Principal
// values (and values holding them) in tests of tokens minted at run time.
// They
//   - ignore authn.Credential.ExpiresAt, which moves with the clock;
//   - treat a nil and an empty slice or map alike (cmpopts.EquateEmpty), so
//     a Principal decoded from JSON equals the one a strategy built.
//
// Nothing else is ignored: users, actors, attributes, credential type, id,
// issuer, audiences, bound objects, Synthetic and Via are compared.
func ComparePrincipals() cmp.Option {
	return cmp.Options{
		cmpopts.EquateEmpty(),
		cmpopts.IgnoreFields(authn.Credential{}, "ExpiresAt"),
	}
}
