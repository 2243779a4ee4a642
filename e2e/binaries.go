//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Tools are the paths of the binaries the tier runs.
type Tools struct {
	Etcd, KubeAPIServer, OAuth2Proxy, OIDCProvider string
}

// tool is one binary built from a tool module: e2e/tools, or a module of
// its own below it.
type tool struct {
	name string
	// dir is the tool's module, relative to e2e/tools; "" is e2e/tools.
	dir string
	// pkg is what go build builds inside the tool's module.
	pkg string
	// module is the module whose version names the binary.
	module  string
	ldflags string
	// sources are the tool module's files, besides go.mod and go.sum, that
	// the binary is built from.
	sources []string
}

// kubernetesVersion is compiled into kube-apiserver, whose version clients
// check; it must match the k8s.io/kubernetes version in e2e/tools/go.mod.
const kubernetesVersion = "v1.37.2"

func tools() []tool {
	return []tool{{
		name: "etcd", pkg: "./etcd", module: "go.etcd.io/etcd/server/v3",
		sources: []string{"etcd/main.go"},
	}, {
		name: "kube-apiserver", pkg: "./kube-apiserver", module: "k8s.io/kubernetes",
		ldflags: "-X k8s.io/component-base/version.gitVersion=" + kubernetesVersion,
		sources: []string{"kube-apiserver/main.go"},
	}, {
		name: "oauth2-proxy", pkg: "github.com/oauth2-proxy/oauth2-proxy/v7", module: "github.com/oauth2-proxy/oauth2-proxy/v7",
	}, {
		// A module of its own: the provider's dependencies (go-jose,
		// x/oauth2, otel) must not move the versions etcd and
		// kube-apiserver are built with, nor the digests of their builds.
		name: "oidc-provider", dir: "oidc-provider", pkg: ".", module: "github.com/zitadel/oidc/v3",
		sources: []string{"main.go"},
	}}
}

// BuildTools returns the tier's binaries, building those not yet in
// repoRoot/.cache/bin. A binary is named after its module's version, the Go
// version and a digest of everything it is built from, so a second run
// reuses it and any change to the tool module builds it afresh. Builds run
// one at a time (go build uses every core anyway) under a file lock, so
// concurrent test processes share them.
func BuildTools(ctx context.Context, repoRoot string, log io.Writer) (Tools, error) {
	toolDir := filepath.Join(repoRoot, "e2e", "tools")
	cacheDir := filepath.Join(repoRoot, ".cache", "bin")
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return Tools{}, err
	}
	unlock, err := lockFile(filepath.Join(cacheDir, ".lock"))
	if err != nil {
		return Tools{}, err
	}
	defer unlock()

	goVersion, err := goOutput(ctx, toolDir, "env", "GOVERSION")
	if err != nil {
		return Tools{}, err
	}
	paths := map[string]string{}
	for _, tl := range tools() {
		moduleDir := filepath.Join(toolDir, tl.dir)
		gomod, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
		if err != nil {
			return Tools{}, err
		}
		version := requiredVersion(gomod, tl.module)
		if version == "" {
			return Tools{}, fmt.Errorf("%s does not require %s", filepath.Join("e2e", "tools", tl.dir, "go.mod"), tl.module)
		}
		digest, err := sourceDigest(moduleDir, tl, goVersion)
		if err != nil {
			return Tools{}, err
		}
		bin := filepath.Join(cacheDir, fmt.Sprintf("%s-%s-%s-%s", tl.name, version, goVersion, digest))
		paths[tl.name] = bin
		if _, err := os.Stat(bin); err == nil {
			continue
		}
		fmt.Fprintf(log, "e2e: building %s %s with %s (cold builds of all tools take minutes)\n", tl.name, version, goVersion)
		start := time.Now()
		if err := buildTool(ctx, moduleDir, tl, bin); err != nil {
			return Tools{}, err
		}
		fmt.Fprintf(log, "e2e: built %s in %v\n", tl.name, time.Since(start).Round(time.Second))
		removeStale(cacheDir, tl.name, bin)
	}
	return Tools{
		Etcd: paths["etcd"], KubeAPIServer: paths["kube-apiserver"], OAuth2Proxy: paths["oauth2-proxy"],
		OIDCProvider: paths["oidc-provider"],
	}, nil
}

func buildTool(ctx context.Context, moduleDir string, tl tool, bin string) error {
	tmp := bin + ".tmp"
	args := []string{"build", "-o", tmp}
	if tl.ldflags != "" {
		args = append(args, "-ldflags", tl.ldflags)
	}
	args = append(args, tl.pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	// The tool module's go.sum is complete, so nothing is resolved
	// afresh; VCS stamping would depend on the checkout's state.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("go build %s: %w\n%s", tl.pkg, err, out)
	}
	return os.Rename(tmp, bin)
}

// sourceDigest hashes what a tool is built from: its module's go.mod and
// go.sum and its sources, all in moduleDir.
func sourceDigest(moduleDir string, tl tool, goVersion string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", goVersion, tl.pkg, tl.ldflags)
	for _, f := range append([]string{"go.mod", "go.sum"}, tl.sources...) {
		data, err := os.ReadFile(filepath.Join(moduleDir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// requiredVersion returns the version go.mod requires of module, or "".
func requiredVersion(gomod []byte, module string) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	return ""
}

// removeStale deletes older builds of the tool named name, keeping keep.
func removeStale(cacheDir, name, keep string) {
	old, _ := filepath.Glob(filepath.Join(cacheDir, name+"-v*"))
	for _, f := range old {
		if f != keep {
			os.Remove(f)
		}
	}
}

func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// lockFile takes an exclusive lock on path, waiting for other holders.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// RepoRoot returns the directory of the main module's go.mod, found upward
// from dir.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/authchain/authchain\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no authchain go.mod above the working directory")
		}
		dir = parent
	}
}
