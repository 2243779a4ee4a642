package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
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
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

//go:embed demo-cluster.yaml
var demoCluster []byte

// options are whoami's flags.
type options struct {
	listen         string
	metricsListen  string
	clusterFile    string
	kubeconfig     string
	bindingKeyFile string
	explain        bool
	syncTimeout    time.Duration
	maxStaleness   time.Duration
	jwksFile       string
	issuerCAFile   string
	tokenReview    bool
	// requireTokenProof is -require-token-proof; config holds its inverse.
	requireTokenProof bool
	demoToken         string
	logFormat         string
	config            setup.Config
	// configFile is -config: the chain comes from this authnconfig file,
	// reloaded when it changes, instead of the chain flags.
	configFile string
}

// chainFlags shape the chain when there is no -config; with -config they
// are a usage error, since the file says what they would.
var chainFlags = []string{
	"trust-cidr", "headers", "annotation", "require-label", "binding-key-file", "issuer", "jwks-file",
	"ca-file", "audience", "tokenreview", "forwarded-access-token", "require-token-proof", "max-staleness", "demo-token",
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	fs.SetOutput(stderr)
	trustCIDRs := listFlag{values: []string{"127.0.0.0/8", "::1/128"}}
	requireLabels := listFlag{values: []string{"app=ambient-access-key"}}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to serve on")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "serve Prometheus metrics at /metrics on this `ADDR`, a port apart from -listen (default off)")
	fs.StringVar(&o.clusterFile, "cluster", "", "multi-document YAML of ServiceAccounts to serve from memory (default: the embedded demo cluster)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "read ServiceAccounts from a real cluster through informers")
	fs.Var(&trustCIDRs, "trust-cidr", "peer CIDR of the trusted proxy, repeatable")
	fs.StringVar(&o.config.Headers, "headers", "oauth2-proxy", "header preset: oauth2-proxy, openshift, nginx or front-proxy")
	fs.StringVar(&o.config.Annotation, "annotation", "", "creator annotation key (default ambient-code.io/created-by-user-id)")
	fs.Var(&requireLabels, "require-label", "K=V label an annotated ServiceAccount must carry, repeatable")
	fs.StringVar(&o.bindingKeyFile, "binding-key-file", "", "file holding the HMAC key of signed creator bindings; turns on binding checks")
	fs.StringVar(&o.config.Issuer, "issuer", "", "verify ServiceAccount JWTs of this issuer locally (keys by OIDC discovery unless -jwks-file)")
	fs.StringVar(&o.jwksFile, "jwks-file", "", "JWKS or PEM public keys of the issuer, instead of OIDC discovery")
	fs.StringVar(&o.issuerCAFile, "ca-file", "", "CA bundle for the issuer's OIDC discovery")
	audiences := listFlag{}
	fs.Var(&audiences, "audience", "audience a token must carry, repeatable; required with -issuer or -tokenreview")
	fs.BoolVar(&o.tokenReview, "tokenreview", false, "verify bearer tokens with TokenReview through -kubeconfig")
	fs.BoolVar(&o.config.ForwardedAccessToken, "forwarded-access-token", false, "the trusted proxy sets X-Forwarded-Access-Token itself (oauth2-proxy --pass-access-token): read tokens from it")
	fs.BoolVar(&o.requireTokenProof, "require-token-proof", true, "believe a forwarded system:serviceaccount: subject only with a verified bearer token of that ServiceAccount in the same request; false believes the header alone")
	fs.StringVar(&o.demoToken, "demo-token", "", "print a fresh token of the demo issuer for the demo cluster's ServiceAccount `NAME`, and exit")
	fs.StringVar(&o.logFormat, "log-format", "text", "log lines as `text` (key=value) or json")
	fs.StringVar(&o.configFile, "config", "", "build the chain from this authnconfig `FILE` (apiVersion authchain.dev/v1alpha1), reloaded when it changes, instead of the chain flags")
	fs.BoolVar(&o.explain, "explain", false, "read one request's headers from stdin, print principal and trace, exit 1 if refused")
	fs.DurationVar(&o.maxStaleness, "max-staleness", 30*time.Second, "with -kubeconfig, answer 503 once the ServiceAccount cache has lost the API server for this long")
	fs.DurationVar(&o.syncTimeout, "sync-timeout", 10*time.Second, "with -explain, how long to wait for the ServiceAccount cache")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.configFile != "" {
		var clash []string
		fs.Visit(func(f *flag.Flag) {
			if slices.Contains(chainFlags, f.Name) {
				clash = append(clash, "-"+f.Name)
			}
		})
		if len(clash) > 0 {
			return o, fmt.Errorf("-config FILE describes the chain: drop %s", strings.Join(clash, ", "))
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
	o.config.InsecureForwardedSubjectWithoutToken = !o.requireTokenProof
	o.config.Audiences = audiences.values
	if (o.config.Issuer != "" || o.tokenReview) && len(o.config.Audiences) == 0 {
		return o, errors.New("-audience is required with -issuer and -tokenreview")
	}
	if o.tokenReview && o.kubeconfig == "" {
		return o, errors.New("-tokenreview needs -kubeconfig")
	}
	if (o.jwksFile != "" || o.issuerCAFile != "") && o.config.Issuer == "" {
		return o, errors.New("-jwks-file and -ca-file need -issuer")
	}
	o.config.TrustCIDRs = trustCIDRs.values
	o.config.RequireLabels = map[string]string{}
	for _, kv := range requireLabels.values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return o, fmt.Errorf("-require-label %q: want KEY=VALUE", kv)
		}
		o.config.RequireLabels[k] = v
	}
	if o.bindingKeyFile != "" {
		key, err := os.ReadFile(o.bindingKeyFile)
		if err != nil {
			return o, err
		}
		o.config.BindingKey = string(bytes.TrimSpace(key))
	}
	return o, nil
}

// demo reports whether whoami serves the embedded demo cluster.
func (o options) demo() bool { return o.clusterFile == "" && o.kubeconfig == "" }

// useDemoIssuer makes the chain verify the demo issuer's tokens: the demo
// cluster's stand-in for kube-apiserver's signer.
func (o *options) useDemoIssuer(d *demoIssuer) {
	o.config.Issuer, o.config.Keys = demoIssuerURL, d.keys
	o.config.Audiences = append(o.config.Audiences, demoAudience)
}

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
	if o.configFile != "" {
		return runConfig(ctx, o, log, stdin, stdout, stderr)
	}

	// In demo mode without -issuer, the demo issuer's tokens prove the
	// demo keys, so that they resolve with -require-token-proof on.
	var demo *demoIssuer
	if o.demo() && (o.config.Issuer == "" || o.demoToken != "") {
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
	if demo != nil {
		o.useDemoIssuer(demo)
	}

	client, err := o.client()
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	cacheCtx, stopCache := context.WithCancel(ctx)
	var cacheOpts []kubecache.Option
	if o.kubeconfig != "" {
		// A real cluster: keep only what the chain reads, and answer 503
		// rather than serve a cache cut off from the API server.
		cacheOpts = append(cacheOpts, kubecache.WithProjection(o.config.Projection()), kubecache.WithMaxStaleness(o.maxStaleness))
	}
	cache, err := kubecache.New(cacheCtx, client, cacheOpts...)
	if err != nil {
		stopCache()
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	defer func() { stopCache(); cache.Shutdown() }()

	if o.tokenReview {
		o.config.TokenReviews = client.AuthenticationV1().TokenReviews()
	}
	ready := cache.HasSynced
	if o.config.Issuer != "" && o.config.Keys == nil {
		if o.config.Keys, err = o.keySet(ctx); err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
		if oidc, ok := o.config.Keys.(*jwks.OIDCKeys); ok {
			defer oidc.Close()
			ready = func() bool { return cache.HasSynced() && oidc.Synced() }
		}
	}
	var (
		registry *prometheus.Registry
		metrics  *authnmetrics.Metrics
	)
	if o.metricsListen != "" && !o.explain {
		if registry, metrics, err = instrument(&o, cache); err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
	}
	chain, err := o.config.Chain(cache)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	if o.explain {
		waitUntil(ctx, o.syncTimeout, ready)
		return explain(chain, stdin, stdout, stderr)
	}
	var authenticator authn.Authenticator = chain
	if metrics != nil {
		authenticator = metrics.Authenticator(chain)
	}

	return serve(ctx, o, authenticator, ready, registry, log, func(addr string) {
		log.Info("serving", "addr", addr, "strategies", chain.Strategies(), "requireTokenProof", o.requireTokenProof)
		if demo != nil {
			if err := printDemoTokens(stdout, demo, addr, time.Now()); err != nil {
				log.Error("demo tokens", "err", err)
			}
		}
	}, stderr)
}

// serve answers on -listen with authenticator, and serves the registry's
// metrics on -metrics-listen when it is not nil, until ctx ends; started
// is called with the address once it listens.
func serve(ctx context.Context, o options, authenticator authn.Authenticator, ready func() bool, registry *prometheus.Registry, log *slog.Logger, started func(addr string), stderr io.Writer) int {
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 1
	}
	handler, err := newHandler(authenticator, ready, log)
	if err != nil {
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

// keySet returns the issuer's verification keys: a file, or OIDC discovery
// refreshed in the background until ctx ends.
func (o options) keySet(ctx context.Context) (jwks.KeySet, error) {
	if o.jwksFile != "" {
		data, err := os.ReadFile(o.jwksFile)
		if err != nil {
			return nil, err
		}
		return jwks.Static(data)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if o.issuerCAFile != "" {
		pem, err := os.ReadFile(o.issuerCAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-ca-file %s holds no PEM certificate", o.issuerCAFile)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	return jwks.OIDC(ctx, o.config.Issuer, jwks.WithHTTPClient(client))
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
