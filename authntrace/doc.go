// Package authntrace records an OpenTelemetry span for every run of an
// authn.Authenticator, with an event per strategy decision. It uses the
// OpenTelemetry trace API only: the application chooses and configures the
// SDK and hands its TracerProvider in.
//
//	traced, err := authntrace.Wrap(chain, tracerProvider)
//	r.Use(chiadapter.Authenticate(traced))
//
// The span records how the run ended and which strategies decided what;
// it never records who the user is (a name, group, email or uid), the
// acting ServiceAccount, a token or a header value. Trace back-ends are
// usually read by more people than audit logs: use authnaudit for who.
package authntrace
