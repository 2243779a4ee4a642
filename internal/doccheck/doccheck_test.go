package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// word matches an identifier, optionally qualified (pkg.name, Type.method).
var word = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?`)

// TestDocsNameOnlyExportedIdentifiers reads every library package of the
// module and fails on a doc comment of an exported declaration (or a
// package comment) that names an unexported top-level identifier of its
// own package. A plain English word that happens to be an identifier
// ("trust", "lookup") is not flagged; a name written as code is: one in
// square brackets, or one with an upper-case letter, digit or underscore
// after its first letter (bindToken, tokenCache).
func TestDocsNameOnlyExportedIdentifiers(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "examples") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "e2e" || strings.HasPrefix(rel, "cmd") || strings.HasPrefix(rel, "e2e"+string(filepath.Separator)) {
			return filepath.SkipDir // programs and the cluster harness, not published API
		}
		problems, found := checkDir(t, path, rel)
		for _, p := range problems {
			t.Error(p)
		}
		if found {
			pkgs++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pkgs < 5 {
		t.Fatalf("checked only %d packages; the walk is broken", pkgs)
	}
}

// checkDir checks the package in dir, if any: it returns the problems, and
// whether it found a library package.
func checkDir(t *testing.T, dir, rel string) (problems []string, found bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "main" {
			return nil, false
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, false
	}
	unexported := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			for _, n := range declNames(d) {
				if !ast.IsExported(n) && n != "_" && n != "init" {
					unexported[n] = true
				}
			}
		}
	}
	check := func(what string, doc *ast.CommentGroup) {
		if doc == nil {
			return
		}
		text := doc.Text()
		for _, m := range word.FindAllStringIndex(text, -1) {
			w := text[m[0]:m[1]]
			last := w[strings.LastIndex(w, ".")+1:]
			first := w[:strings.Index(w+".", ".")]
			name := first
			if !unexported[name] {
				continue
			}
			bracketed := m[0] > 0 && text[m[0]-1] == '[' && m[1] < len(text) && text[m[1]] == ']'
			if bracketed || looksLikeCode(name) || last != first {
				problems = append(problems, fmt.Sprintf("%s: the doc of %s names the unexported %q", rel, what, w))
			}
		}
	}
	for _, f := range files {
		check("package "+f.Name.Name, f.Doc)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && (d.Recv == nil || receiverExported(d.Recv)) {
					check(d.Name.Name, d.Doc)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					names := specNames(s)
					if !slices.ContainsFunc(names, ast.IsExported) {
						continue
					}
					doc := d.Doc
					if len(d.Specs) > 1 || doc == nil {
						doc = specDoc(s)
					}
					check(strings.Join(names, ", "), doc)
					if ts, ok := s.(*ast.TypeSpec); ok {
						checkFields(ts, check)
					}
				}
			}
		}
	}
	return problems, true
}

// checkFields checks the docs of a type's exported fields and interface methods.
func checkFields(ts *ast.TypeSpec, check func(string, *ast.CommentGroup)) {
	var fields *ast.FieldList
	switch x := ts.Type.(type) {
	case *ast.StructType:
		fields = x.Fields
	case *ast.InterfaceType:
		fields = x.Methods
	}
	if fields == nil {
		return
	}
	for _, f := range fields.List {
		for _, n := range f.Names {
			if n.IsExported() {
				check(ts.Name.Name+"."+n.Name, f.Doc)
			}
		}
	}
}

func declNames(d ast.Decl) []string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			return []string{d.Name.Name}
		}
	case *ast.GenDecl:
		var out []string
		for _, s := range d.Specs {
			out = append(out, specNames(s)...)
		}
		return out
	}
	return nil
}

func specNames(s ast.Spec) []string {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return []string{s.Name.Name}
	case *ast.ValueSpec:
		var out []string
		for _, n := range s.Names {
			out = append(out, n.Name)
		}
		return out
	}
	return nil
}

func specDoc(s ast.Spec) *ast.CommentGroup {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return s.Doc
	case *ast.ValueSpec:
		return s.Doc
	}
	return nil
}

func receiverExported(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}

// looksLikeCode reports whether an identifier cannot be an English word:
// it has an upper-case letter, digit or underscore after its first rune.
func looksLikeCode(name string) bool {
	for i, r := range name {
		if i > 0 && (unicode.IsUpper(r) || unicode.IsDigit(r) || r == '_') {
			return true
		}
	}
	return false
}

// TestCheckBites runs the check on a package written to break it.
func TestCheckBites(t *testing.T) {
	problems, found := checkDir(t, "testdata/bad", "bad")
	want := []string{
		`bad: the doc of package bad names the unexported "helperFunc"`,
		`bad: the doc of Exported names the unexported "verifyToken"`,
		`bad: the doc of Exported names the unexported "cache"`,
		`bad: the doc of Config.Field names the unexported "parseLimit"`,
		`bad: the doc of Limit names the unexported "cache.size"`,
	}
	if !found || !slices.Equal(problems, want) {
		t.Errorf("found %v, problems:\n%s\nwant:\n%s", found, strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

// TestEveryEntryPointHasAnExample fails for an exported function of a
// library package that no Example function in the package's tests shows.
// Options (functions returning a type whose name ends in "Option") are
// shown by the examples of what they configure and are left out.
func TestEveryEntryPointHasAnExample(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "examples") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "e2e" || rel == "cmd" || strings.HasPrefix(rel, "internal") || rel == "benchmarks" {
			return filepath.SkipDir
		}
		for _, missing := range missingExamples(t, path) {
			t.Errorf("%s: no Example shows %s", rel, missing)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// missingExamples returns the entry points of the package in dir that no
// example names: ExampleF, ExampleF_suffix, or an example of the type F
// returns (ExampleT, ExampleT_Method).
func missingExamples(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	examples := map[string]bool{}
	type fn struct{ name, result string }
	var funcs []fn
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "main" {
			return nil
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil {
				continue
			}
			if strings.HasSuffix(n, "_test.go") {
				if rest, ok := strings.CutPrefix(fd.Name.Name, "Example"); ok {
					base, _, _ := strings.Cut(rest, "_")
					examples[base] = true
				}
				continue
			}
			if !fd.Name.IsExported() {
				continue
			}
			result := ""
			if fd.Type.Results != nil && len(fd.Type.Results.List) > 0 {
				result = typeName(fd.Type.Results.List[0].Type)
			}
			if strings.HasSuffix(result, "Option") {
				continue
			}
			funcs = append(funcs, fn{fd.Name.Name, result})
		}
	}
	var missing []string
	for _, f := range funcs {
		if !examples[f.name] && !examples[f.result] {
			missing = append(missing, f.name)
		}
	}
	return missing
}

// typeName returns the name of a (pointer to a) named type, or "".
func typeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.SelectorExpr:
			return x.Sel.Name
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}
