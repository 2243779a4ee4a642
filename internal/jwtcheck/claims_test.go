package jwtcheck

import "testing"

func TestClaimsProblem(t *testing.T) {
	for payload, want := range map[string]string{
		`{"iss":"a","aud":"b","exp":1767225600,"iat":0}`: "",
		`{"aud":"vault","AUD":"ours"}`:                   "token claims spell a registered claim in another case",
		`{"Sub":"x"}`:                                    "token claims spell a registered claim in another case",
		`{"sub":"x","sub":"y"}`:                          "token claims repeat a registered claim",
		`{"exp":253402300800}`:                           "token time claims out of range",
		`{"iat":9.3e18}`:                                 "token time claims out of range",
		`{"nbf":-1}`:                                     "token time claims out of range",
		`{"exp":253402300799, "custom":{"AUD":1,"exp":1e30}}`: "", // nested names are not registered claims
		`{"exp":"1767225600"}`:                                "", // the parser judges a string time
		`[]`:                                                  "malformed token",
		`{"exp":`:                                             "malformed token",
	} {
		if got := ClaimsProblem([]byte(payload)); got != want {
			t.Errorf("ClaimsProblem(%s) = %q, want %q", payload, got, want)
		}
	}
}

// TestRegisteredIndex holds the switch of registeredIndex to
// registeredNames, which the judge folds against: a name missing from
// either would be judged in one case only.
func TestRegisteredIndex(t *testing.T) {
	for k, name := range registeredNames {
		if got := registeredIndex([]byte(name)); got != k {
			t.Errorf("registeredIndex(%q) = %d, want %d", name, got, k)
		}
	}
	if got := registeredIndex([]byte("ISS")); got != -1 {
		t.Errorf("registeredIndex(ISS) = %d, want -1", got)
	}
	if k := firstTimeClaim; registeredNames[k] != "exp" || len(registeredNames)-k != 3 {
		t.Errorf("firstTimeClaim %d does not start exp, nbf, iat", k)
	}
}
