package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/authchain/authchain/authnconfig"
)

// defaultConfig is the chain whoami serves without -config, before the
// chain flags edit it.
//
//go:embed default.yaml
var defaultConfig []byte

// flagConfiguration returns the embedded default configuration with the
// chain flags applied; file references are absolute, so the result may be
// written anywhere. It is not validated: Build and Projection do that.
func (o options) flagConfiguration() (*authnconfig.ChainConfiguration, error) {
	parsed, err := authnconfig.Parse(defaultConfig)
	if err != nil {
		return nil, fmt.Errorf("embedded default configuration: %w", err)
	}
	// A fresh value, which Build validates again after the edits.
	cfg := &authnconfig.ChainConfiguration{APIVersion: parsed.APIVersion, Kind: parsed.Kind, Spec: parsed.Spec}
	spec := &cfg.Spec
	forwarded := find(spec, func(s authnconfig.Strategy) bool { return s.Forwarded != nil })
	annotation := find(spec, func(s authnconfig.Strategy) bool { return s.Annotation != nil })
	serviceAccount := find(spec, func(s authnconfig.Strategy) bool { return s.ServiceAccount != nil })
	if forwarded == nil || annotation == nil || serviceAccount == nil {
		return nil, errors.New("embedded default configuration: want forwarded, serviceAccount and annotation strategies")
	}
	if o.set["trust-cidr"] {
		forwarded.Forwarded.Trust = authnconfig.Trust{CIDRs: o.trustCIDRs}
	}
	if o.set["headers"] {
		forwarded.Forwarded.Preset = o.headers
	}
	if o.set["annotation"] {
		annotation.Annotation.CreatorAnnotation = o.annotation
	}
	if o.set["require-label"] {
		annotation.Annotation.RequireLabels = o.requireLabels
	}
	if o.bindingKeyFile != "" {
		path, err := filepath.Abs(o.bindingKeyFile)
		if err != nil {
			return nil, err
		}
		annotation.Annotation.BindingKeyFiles = []string{path}
	}
	if o.set["require-token-proof"] {
		serviceAccount.ServiceAccount.InsecureBelieveForwardedSubjects = !o.requireTokenProof
	}
	source := ""
	if o.forwardedAccessToken {
		source = authnconfig.TokenFromForwardedAccessToken
	}
	if o.issuer != "" {
		j := &authnconfig.JWT{Issuer: o.issuer, Audiences: o.audiences, TokenSource: source}
		if o.jwksFile != "" {
			path, err := filepath.Abs(o.jwksFile)
			if err != nil {
				return nil, err
			}
			j.JWKSFile = path
		} else {
			j.Discovery = &authnconfig.Discovery{}
		}
		addTokenStrategy(spec, authnconfig.Strategy{JWT: j})
	}
	if o.tokenReview {
		addTokenStrategy(spec, authnconfig.Strategy{TokenReview: &authnconfig.TokenReview{Audiences: o.audiences, TokenSource: source}})
	}
	return cfg, nil
}

// find returns the first strategy of spec that is, or nil.
func find(spec *authnconfig.Spec, is func(authnconfig.Strategy) bool) *authnconfig.Strategy {
	for i := range spec.Strategies {
		if is(spec.Strategies[i]) {
			return &spec.Strategies[i]
		}
	}
	return nil
}

// addTokenStrategy puts a jwt strategy before any tokenReview, and a
// tokenReview before the strategies that read the verified token: local
// verification costs no API call, and a token for another issuer passes
// on to TokenReview.
func addTokenStrategy(spec *authnconfig.Spec, s authnconfig.Strategy) {
	at := len(spec.Strategies)
	for i, t := range spec.Strategies {
		if t.ServiceAccount != nil || t.Annotation != nil || t.Synthetic != nil || (s.JWT != nil && t.TokenReview != nil) {
			at = i
			break
		}
	}
	spec.Strategies = append(spec.Strategies[:at], append([]authnconfig.Strategy{s}, spec.Strategies[at:]...)...)
}

// printConfig writes cfg as YAML, a file -config reads; a file that -config
// would refuse (a flag value the file's rules refuse) is not printed but
// reported, every error with its field path.
func printConfig(cfg *authnconfig.ChainConfiguration) ([]byte, error) {
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	// Its file names are absolute, so no directory is needed.
	if _, err := authnconfig.Parse(data); err != nil {
		return nil, fmt.Errorf("-print-config: the flags make a configuration -config would refuse: %w", err)
	}
	return append([]byte("# whoami -print-config: the embedded default configuration after the chain flags.\n"), data...), nil
}

// printable refuses what flags do that a configuration file cannot say,
// so that -print-config never prints a file that answers otherwise.
func (o options) printable() error {
	if o.issuerCAFile != "" {
		return errors.New("-print-config: -ca-file has no counterpart in a configuration file")
	}
	if o.bindingKeyFile != "" {
		key, err := os.ReadFile(o.bindingKeyFile)
		if err != nil {
			return err
		}
		if !bytes.Equal(key, bytes.TrimSpace(key)) {
			return fmt.Errorf("-print-config: -binding-key-file %s: a configuration file uses the key byte for byte, and this one has surrounding white space, which the flag drops; remove it", o.bindingKeyFile)
		}
	}
	return nil
}

// localFiles holds the files whoami writes for a chain built from flags:
// the demo issuer's public key, and a binding key without the white space
// the flag drops. They are needed only while Build reads them.
type localFiles struct{ dir string }

// write writes data to a new file called name and returns its path.
func (l *localFiles) write(name string, data []byte) (string, error) {
	if l.dir == "" {
		dir, err := os.MkdirTemp("", "whoami-")
		if err != nil {
			return "", err
		}
		l.dir = dir
	}
	path := filepath.Join(l.dir, name)
	return path, os.WriteFile(path, data, 0o600)
}

// remove removes the files.
func (l *localFiles) remove() {
	if l.dir != "" {
		_ = os.RemoveAll(l.dir)
	}
}

// localize makes cfg buildable by this process: the demo issuer's jwt
// strategy when demo is not nil, and the binding key trimmed as the
// -binding-key-file flag always has. The files it writes go to files.
func (o options) localize(cfg *authnconfig.ChainConfiguration, demo *demoIssuer, files *localFiles) error {
	if o.bindingKeyFile != "" {
		key, err := os.ReadFile(o.bindingKeyFile)
		if err != nil {
			return err
		}
		if trimmed := bytes.TrimSpace(key); !bytes.Equal(key, trimmed) {
			path, err := files.write("binding-key", trimmed)
			if err != nil {
				return err
			}
			find(&cfg.Spec, func(s authnconfig.Strategy) bool { return s.Annotation != nil }).Annotation.BindingKeyFiles = []string{path}
		}
	}
	if demo != nil {
		path, err := files.write("demo-issuer.pem", demo.publicKey)
		if err != nil {
			return err
		}
		source := ""
		if o.forwardedAccessToken {
			source = authnconfig.TokenFromForwardedAccessToken
		}
		audiences := append(append([]string(nil), o.audiences...), demoAudience)
		addTokenStrategy(&cfg.Spec, authnconfig.Strategy{JWT: &authnconfig.JWT{
			Issuer: demoIssuerURL, JWKSFile: path, Audiences: audiences, TokenSource: source}})
	}
	return nil
}
