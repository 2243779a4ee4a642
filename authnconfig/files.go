package authnconfig

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/regularfile"
)

// referencedFile is a file a configuration refers to: where it was read, and
// what it held.
type referencedFile struct {
	path string
	data []byte
}

// readFiles reads every file the configuration refers to, keyed by the
// field path that names it, and checks what can be checked without a
// constructor. Errors name the field and the file, never the contents.
func (c *ChainConfiguration) readFiles() (map[string]referencedFile, field.ErrorList) {
	files := map[string]referencedFile{}
	var errs field.ErrorList
	read := func(p *field.Path, name string, minLen int, check func([]byte) string) {
		if name == "" {
			return // reported by validate
		}
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.dir, path)
		}
		data, err := readFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, field.Invalid(p, name, "no such file"))
		case errors.Is(err, errTooLarge):
			errs = append(errs, field.Invalid(p, name, "is "+errTooLarge.Error()))
		case errors.Is(err, regularfile.ErrNotRegular):
			errs = append(errs, field.Invalid(p, name, "is not a regular file"))
		case err != nil:
			errs = append(errs, field.Invalid(p, name, "cannot be read"))
		case len(data) == 0:
			errs = append(errs, field.Invalid(p, name, "is empty"))
		case len(data) < minLen:
			errs = append(errs, field.Invalid(p, name, "holds fewer than "+strconv.Itoa(minLen)+" bytes"))
		default:
			if problem := check(data); problem != "" {
				errs = append(errs, field.Invalid(p, name, problem))
				return
			}
			files[p.String()] = referencedFile{path: path, data: data}
		}
	}
	none := func([]byte) string { return "" }
	for i, s := range c.Spec.Strategies {
		p := field.NewPath("spec", "strategies").Index(i)
		if f := s.Forwarded; f != nil {
			tp := p.Child("forwarded", "trust")
			if cc := f.Trust.ClientCertificate; cc != nil {
				read(tp.Child("clientCertificate", "caFile"), cc.CAFile, 1, func(b []byte) string {
					if !x509.NewCertPool().AppendCertsFromPEM(b) {
						return "holds no PEM certificate"
					}
					return ""
				})
			}
			if ss := f.Trust.SharedSecret; ss != nil {
				read(tp.Child("sharedSecret", "secretFile"), ss.SecretFile, strategies.MinSharedSecretLen, func(b []byte) string {
					if bytes.ContainsAny(b, "\r\n") {
						return "holds a line break, which no header value can carry"
					}
					return ""
				})
			}
		}
		if a := s.Annotation; a != nil {
			for k, name := range a.BindingKeyFiles {
				read(p.Child("annotation", "bindingKeyFiles").Index(k), name, binding.MinKeyLen, none)
			}
		}
		if j := s.JWT; j != nil {
			read(p.Child("jwt", "jwksFile"), j.JWKSFile, 1, none)
		}
		if o := s.OIDC; o != nil {
			read(p.Child("oidc", "jwksFile"), o.JWKSFile, 1, none)
		}
		if a := s.Assertion; a != nil {
			read(p.Child("assertion", "jwksFile"), a.JWKSFile, 1, none)
		}
		if v := s.Pomerium; v != nil {
			read(p.Child("pomerium", "jwksFile"), v.JWKSFile, 1, none)
		}
		if v := s.IAP; v != nil {
			read(p.Child("iap", "jwksFile"), v.JWKSFile, 1, none)
		}
		if v := s.Teleport; v != nil {
			read(p.Child("teleport", "jwksFile"), v.JWKSFile, 1, none)
		}
	}
	return files, errs
}

// Files lists the files c refers to, as Parse read them (relative names
// resolved against the configuration's directory), sorted and without
// repeats. A program that reloads the configuration watches their
// directories too: a rotated secret is a change of the configuration.
func (c *ChainConfiguration) Files() []string {
	var paths []string
	for _, f := range c.files {
		paths = append(paths, f.path)
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// FilesDigest is a SHA-256, in hex, over what the files c refers to held
// when Parse read them, each with the field that names it: it changes when
// any of them does. It is the empty string for a configuration that Parse
// did not return or that refers to no file. It is a digest of secrets:
// compare it, never publish it.
func (c *ChainConfiguration) FilesDigest() string {
	if len(c.files) == 0 {
		return ""
	}
	fields := slices.Sorted(maps.Keys(c.files))
	h := sha256.New()
	for _, name := range fields {
		data := c.files[name].data
		// Lengths first, so that no two lists of files hash alike.
		fmt.Fprintf(h, "%d:%s%d:", len(name), name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
