package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/internal/setup"
)

//go:embed demo-cluster.yaml
var demoCluster []byte

// options are whoami's flags.
type options struct {
	listen        string
	metricsListen string
	clusterFile   string
	kubeconfig    string
	explain       bool
	syncTimeout   time.Duration
	maxStaleness  time.Duration
	demoToken     string
	logFormat     string
	printConfig   bool
	// configFile is -config: the chain comes from this authnconfig file,
	// reloaded when it changes, instead of the embedded one.
	configFile string

	// The chain flags, which edit the embedded configuration; set holds
	// the names of those given, since only they edit it.
	set                  map[string]bool
	trustCIDRs           []string
	headers              string
	annotation           string
	requireLabels        map[string]string
	bindingKeyFile       string
	issuer               string
	jwksFile             string
	issuerCAFile         string
	audiences            []string
	tokenReview          bool
	forwardedAccessToken bool
	requireTokenProof    bool

	// Passing the identity on (see assertions.go).
	assertionIssuer  string
	assertionKeyFile string
	acceptJWKS       string
	acceptIssuer     string
	acceptAudiences  []string
}

// chainFlags shape the chain when there is no -config; with -config they
// are a usage error, since the file says what they would.
var chainFlags = []string{
	"trust-cidr", "headers", "annotation", "require-label", "binding-key-file", "issuer", "jwks-file",
	"ca-file", "audience", "tokenreview", "forwarded-access-token", "require-token-proof", "max-staleness", "demo-token",
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{set: map[string]bool{}}
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	fs.SetOutput(stderr)
	trustCIDRs := listFlag{values: []string{"127.0.0.0/8", "::1/128"}}
	requireLabels := listFlag{values: []string{"app=ambient-access-key"}}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to serve on")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "serve Prometheus metrics at /metrics on this `ADDR`, a port apart from -listen (default off)")
	fs.StringVar(&o.clusterFile, "cluster", "", "multi-document YAML of ServiceAccounts to serve from memory (default: the embedded demo cluster)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "read ServiceAccounts from a real cluster through informers")
	fs.Var(&trustCIDRs, "trust-cidr", "peer CIDR of the trusted proxy, repeatable")
	fs.StringVar(&o.headers, "headers", "oauth2-proxy", "header preset: oauth2-proxy, openshift, nginx or front-proxy")
	fs.StringVar(&o.annotation, "annotation", "", "creator annotation key (default ambient-code.io/created-by-user-id)")
	fs.Var(&requireLabels, "require-label", "K=V label an annotated ServiceAccount must carry, repeatable")
	fs.StringVar(&o.bindingKeyFile, "binding-key-file", "", "file holding the HMAC key of signed creator bindings; turns on binding checks")
	fs.StringVar(&o.issuer, "issuer", "", "verify ServiceAccount JWTs of this issuer locally (keys by OIDC discovery unless -jwks-file)")
	fs.StringVar(&o.jwksFile, "jwks-file", "", "JWKS or PEM public keys of the issuer, instead of OIDC discovery")
	fs.StringVar(&o.issuerCAFile, "ca-file", "", "CA bundle for the issuer's OIDC discovery")
	audiences := listFlag{}
	fs.Var(&audiences, "audience", "audience a token must carry, repeatable; required with -issuer or -tokenreview")
	fs.BoolVar(&o.tokenReview, "tokenreview", false, "verify bearer tokens with TokenReview through -kubeconfig")
	fs.BoolVar(&o.forwardedAccessToken, "forwarded-access-token", false, "the trusted proxy sets X-Forwarded-Access-Token itself (oauth2-proxy --pass-access-token): read tokens from it")
	fs.BoolVar(&o.requireTokenProof, "require-token-proof", true, "believe a forwarded system:serviceaccount: subject only with a verified bearer token of that ServiceAccount in the same request; false believes the header alone")
	fs.StringVar(&o.demoToken, "demo-token", "", "print a fresh token of the demo issuer for the demo cluster's ServiceAccount `NAME`, and exit")
	fs.StringVar(&o.logFormat, "log-format", "text", "log lines as `text` (key=value) or json")
	fs.StringVar(&o.configFile, "config", "", "build the chain from this authnconfig `FILE` (apiVersion authchain.dev/v1alpha1), reloaded when it changes, instead of the embedded default and the chain flags")
	fs.BoolVar(&o.printConfig, "print-config", false, "print the chain configuration whoami would serve (the embedded default after the chain flags; without the demo issuer) as a -config file, and exit")
	fs.StringVar(&o.assertionIssuer, "assertion-issuer", "", "issuer `URL` GET /assertion mints as (default http://ADDR of -listen)")
	fs.StringVar(&o.assertionKeyFile, "assertion-key-file", "", "PEM PKCS #8 ECDSA P-256 or Ed25519 private key to sign assertions with (default: an ephemeral ES256 key)")
	fs.StringVar(&o.acceptJWKS, "accept-assertions-jwks", "", "believe the assertions of -accept-assertions-issuer verified with this JWKS `URL|FILE`: a URL (https, or http of this machine) kept current, a file read once at start")
	fs.StringVar(&o.acceptIssuer, "accept-assertions-issuer", "", "issuer `URL` of the assertions -accept-assertions-jwks verifies")
	acceptAudiences := listFlag{}
	fs.Var(&acceptAudiences, "accept-assertions-audience", "audience an accepted assertion must name, repeatable (default: this whoami's -assertion-issuer)")
	fs.BoolVar(&o.explain, "explain", false, "read one request's headers from stdin, print principal and trace, exit 1 if refused")
	fs.DurationVar(&o.maxStaleness, "max-staleness", 30*time.Second, "with -kubeconfig, answer 503 once the ServiceAccount cache has lost the API server for this long")
	fs.DurationVar(&o.syncTimeout, "sync-timeout", 10*time.Second, "with -explain, how long to wait for the ServiceAccount cache")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.configFile != "" {
		var clash []string
		for _, name := range chainFlags {
			if o.set[name] {
				clash = append(clash, "-"+name)
			}
		}
		if len(clash) > 0 {
			return o, fmt.Errorf("-config FILE describes the chain: drop %s", strings.Join(clash, ", "))
		}
		if o.printConfig {
			return o, errors.New("-print-config prints the configuration the flags make: drop -config")
		}
	}
	if _, err := newLogger(o.logFormat, io.Discard); err != nil {
		return o, err
	}
	if o.clusterFile != "" && o.kubeconfig != "" {
		return o, errors.New("-cluster and -kubeconfig are exclusive")
	}
	if o.demoToken != "" && !o.demo() {
		return o, errors.New("-demo-token signs for the embedded demo cluster only: drop -cluster and -kubeconfig")
	}
	o.audiences = audiences.values
	if (o.issuer != "" || o.tokenReview) && len(o.audiences) == 0 {
		return o, errors.New("-audience is required with -issuer and -tokenreview")
	}
	if o.tokenReview && o.kubeconfig == "" {
		return o, errors.New("-tokenreview needs -kubeconfig")
	}
	if (o.jwksFile != "" || o.issuerCAFile != "") && o.issuer == "" {
		return o, errors.New("-jwks-file and -ca-file need -issuer")
	}
	o.acceptAudiences = acceptAudiences.values
	if (o.acceptJWKS == "") != (o.acceptIssuer == "") {
		return o, errors.New("-accept-assertions-jwks and -accept-assertions-issuer go together")
	}
	if len(o.acceptAudiences) > 0 && o.acceptJWKS == "" {
		return o, errors.New("-accept-assertions-audience needs -accept-assertions-jwks")
	}
	if o.acceptJWKS != "" && o.explain {
		return o, errors.New("-accept-assertions-jwks serves; drop -explain")
	}
	o.trustCIDRs = trustCIDRs.values
	o.requireLabels = map[string]string{}
	for _, kv := range requireLabels.values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return o, fmt.Errorf("-require-label %q: want KEY=VALUE", kv)
		}
		o.requireLabels[k] = v
	}
	if o.bindingKeyFile != "" {
		if _, err := os.Stat(o.bindingKeyFile); err != nil {
			return o, err
		}
	}
	return o, nil
}

// demo reports whether whoami serves the embedded demo cluster.
func (o options) demo() bool { return o.clusterFile == "" && o.kubeconfig == "" }

// listFlag is a repeatable string flag whose default is replaced, not
// extended, by the first value given.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }
func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, v)
	return nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	log, err := newLogger(o.logFormat, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	if o.printConfig {
		cfg, err := o.flagConfiguration()
		if err == nil {
			err = o.printable()
		}
		var data []byte
		if err == nil {
			data, err = printConfig(cfg)
		}
		if err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
		_, _ = stdout.Write(data)
		return 0
	}

	// In demo mode without -issuer, the demo issuer's tokens prove the
	// demo keys, so that they resolve with -require-token-proof on.
	var demo *demoIssuer
	if o.configFile == "" && o.demo() && (o.issuer == "" || o.demoToken != "") {
		if demo, err = newDemoIssuer(demoCluster); err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
	}
	if o.demoToken != "" {
		token, err := demo.token(o.demoToken, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "whoami: -demo-token:", err)
			return 2
		}
		fmt.Fprintln(stdout, token)
		return 0
	}

	client, err := o.client()
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	var (
		registry *prometheus.Registry
		metrics  *authnmetrics.Metrics
	)
	if o.metricsListen != "" && !o.explain {
		if registry, metrics, err = newMetrics(); err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
	}
	chain, err := o.start(ctx, client, demo, metrics, log)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	defer chain.stop()
	if o.explain {
		waitUntil(ctx, o.syncTimeout, chain.ready)
		return explain(chain.authenticator, stdin, stdout, stderr)
	}
	var authenticator authn.Authenticator = chain.authenticator
	if metrics != nil {
		authenticator = metrics.Authenticator(authenticator)
	}
	return serve(ctx, o, authenticator, chain.ready, registry, log, func(addr string) {
		log.Info("serving", append([]any{"addr", addr}, chain.attrs()...)...)
		if demo != nil {
			if err := printDemoTokens(stdout, demo, addr, time.Now()); err != nil {
				log.Error("demo tokens", "err", err)
			}
		}
	}, stderr)
}

// serve answers on -listen with authenticator (in front of which it puts
// the assertion chain of -accept-assertions-jwks), mints assertions as
// -assertion-issuer, and serves the registry's metrics on -metrics-listen
// when it is not nil, until ctx ends; started is called with the address
// once it listens.
func serve(ctx context.Context, o options, authenticator authn.Authenticator, ready func() bool, registry *prometheus.Registry, log *slog.Logger, started func(addr string), stderr io.Writer) int {
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 1
	}
	addr := ln.Addr().String()
	mint, err := o.newMinting(addr)
	var acceptKeys *jwks.OIDCKeys
	if err == nil {
		authenticator, acceptKeys, err = o.acceptAssertions(ctx, addr, authenticator)
	}
	if acceptKeys != nil {
		defer acceptKeys.Close()
		// Ready once the accepted key set is fetched, too.
		chainReady := ready
		ready = func() bool { return chainReady() && acceptKeys.Synced() }
	}
	var handler http.Handler
	if err == nil {
		handler, err = newHandler(authenticator, ready, log, mint)
	}
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	var metricsSrv *http.Server
	if registry != nil {
		mln, err := net.Listen("tcp", o.metricsListen)
		if err != nil {
			ln.Close()
			fmt.Fprintln(stderr, "whoami:", err)
			return 1
		}
		metricsSrv = &http.Server{Handler: newMetricsHandler(registry), ReadHeaderTimeout: 10 * time.Second}
		log.Info("serving metrics", "addr", mln.Addr().String())
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	started(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		if metricsSrv != nil {
			_ = metricsSrv.Close()
		}
		return 1
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		if metricsSrv != nil {
			_ = metricsSrv.Shutdown(shutdownCtx)
		}
		return 0
	}
}

// client returns the clientset the ServiceAccount informer lists from.
func (o options) client() (kubernetes.Interface, error) {
	if o.kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("-kubeconfig: %w", err)
		}
		return kubernetes.NewForConfig(cfg)
	}
	data := demoCluster
	if o.clusterFile != "" {
		var err error
		if data, err = os.ReadFile(o.clusterFile); err != nil {
			return nil, err
		}
	}
	sas, err := setup.LoadServiceAccounts(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return setup.FakeClient(sas), nil
}

// waitUntil polls ready until it reports true, timeout passes or ctx ends.
func waitUntil(ctx context.Context, timeout time.Duration, ready func() bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !ready() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// explainResult is what -explain prints.
type explainResult struct {
	Principal *authn.Principal `json:"principal,omitempty"`
	Status    int              `json:"status"`
	Error     string           `json:"error,omitempty"`
	Trace     authn.Trace      `json:"trace"`
}

func explain(chain authn.Authenticator, stdin io.Reader, stdout, stderr io.Writer) int {
	req, pseudo, err := setup.ParseRequest(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	if len(pseudo) > 0 {
		fmt.Fprintf(stderr, "whoami: unknown pseudo-headers %v (only @peer is read)\n", pseudo)
		return 2
	}
	p, trace, err := chain.Authenticate(req)
	res := explainResult{Status: http.StatusOK, Trace: trace}
	if err == nil {
		res.Principal = &p
	} else {
		res.Status = authn.StatusCode(err)
		var aerr *authn.Error
		if errors.As(err, &aerr) {
			res.Error = aerr.Strategy + ": " + aerr.Kind.Error() + ": " + aerr.Reason
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
	if err != nil {
		return 1
	}
	return 0
}
