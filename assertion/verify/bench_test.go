package verify_test

import (
	"testing"
	"time"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

// benchVerify runs the strategy on token, which must end as want.
func benchVerify(b *testing.B, token string, want authn.Outcome, s authn.Strategy) {
	r := authntest.NewRequest()
	b.ReportAllocs()
	for b.Loop() {
		r.Header[assertion.AssertionHeader] = []string{token}
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != want {
			b.Fatalf("%v %s", d.Outcome, d.Reason)
		}
	}
}

// BenchmarkVerifyES256 is a full verification of an assertion of a human
// with an Actor: header read, parse, key lookup, ES256 signature, typ,
// time, audience and version checks, the Principal rebuilt. There is no
// cache: every assertion is minted for one request. Measured (go1.26,
// 2-core AMD EPYC, shared and busy): ~230 µs/op, 7.8 KB/op, 127 allocs/op.
func BenchmarkVerifyES256(b *testing.B) {
	m := newMinter(b, issuer, func() time.Time { return start })
	benchVerify(b, m.sign(b, human(), audience), authn.Contributed, newStrategy(b, m))
}

// BenchmarkVerifyOtherIssuer is an assertion of another minting service,
// passed over after its unverified iss is read. Measured: ~43 µs/op,
// 4.4 KB/op, 85 allocs/op.
func BenchmarkVerifyOtherIssuer(b *testing.B) {
	m := newMinter(b, issuer, func() time.Time { return start })
	stranger := newMinter(b, "https://other.example.com", func() time.Time { return start })
	benchVerify(b, stranger.sign(b, human(), audience), authn.NotApplicable, newStrategy(b, m))
}

// BenchmarkNoAssertion is a request without the header: ~80 ns/op,
// 0 allocs/op (TestNoAssertionAllocatesNothing holds it there).
func BenchmarkNoAssertion(b *testing.B) {
	m := newMinter(b, issuer, func() time.Time { return start })
	s := newStrategy(b, m)
	r := authntest.NewRequest()
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.NotApplicable {
			b.Fatal(d.Reason)
		}
	}
}

// A chain that runs the strategy costs a request without an assertion
// nothing.
func TestNoAssertionAllocatesNothing(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	r := authntest.NewRequest()
	if n := testing.AllocsPerRun(100, func() { s.Authenticate(r, authn.Principal{}) }); n != 0 {
		t.Errorf("%v allocs/op without an assertion", n)
	}
}
