package strategies_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// Synthetic stands in for the human behind a key whose creator is unknown:
// the user is named from the key, flagged Synthetic, and the Actor kept,
// so that authorization can tell it from a resolved human. A custom name
// must keep the synthetic prefix. Either way, data is keyed by the Actor
// (StorageKey), not by the lossy name.
func ExampleSynthetic() {
	key := authn.StrategyFunc("verified-key", func(*http.Request, authn.Principal) authn.Decision {
		// What a token strategy leaves when no annotation names a creator.
		return authn.Contribute(authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "ci-bot", UID: "uid-1"}}, "token verified")
	})
	custom := strategies.Synthetic(strategies.WithSyntheticName(func(sa authn.ServiceAccount) string {
		return authn.SyntheticNamePrefix + sa.Namespace + "." + sa.Name
	}))
	for _, s := range []*strategies.SyntheticStrategy{strategies.Synthetic(), custom} {
		chain, err := authn.NewChain(key, s)
		if err != nil {
			panic(err)
		}
		p, _, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil {
			panic(err)
		}
		fmt.Println(p.User.Name, p.Synthetic, p.IsHuman(), p.StorageKey())
	}
	// Output:
	// system-serviceaccount-team-ci-bot true false system_3aserviceaccount_3ateam_3aci-bot
	// system-serviceaccount-team.ci-bot true false system_3aserviceaccount_3ateam_3aci-bot
}
