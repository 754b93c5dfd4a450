// Package archtest checks the dependency rule of the hexagonal layout: the core
// (domain, view, ports, app, scoring, judging) depends on nothing outside it, adapters
// never import each other, and only the Postgres adapter touches pgx and the
// generated SQL code. `make lint` runs it.
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rlhf-eval/rlhf-eval"

// pkg is one package of the module with its non-test imports.
type pkg struct {
	path    string
	imports []string
}

func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		ps = append(ps, pkg{path: strings.TrimPrefix(f[0], module+"/"), imports: f[1:]})
	}
	if len(ps) < 10 {
		t.Fatalf("go list found only %d packages", len(ps))
	}
	return ps
}

func stdlib(imp string) bool { return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }

func local(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	return strings.CutPrefix(imp, module+"/")
}

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// adapterOf names the adapter a package belongs to ("postgres" for
// internal/adapters/postgres/internal/dbsqlc), or "".
func adapterOf(path string) string {
	rest, ok := strings.CutPrefix(path, "internal/adapters/")
	if !ok {
		return ""
	}
	return strings.SplitN(rest, "/", 2)[0]
}

func TestDependencyRule(t *testing.T) {
	// The core, innermost first; each may import the layers before it.
	core := map[string][]string{
		"internal/domain":  {"internal/domain"},
		"internal/view":    {"internal/domain", "internal/view"},
		"internal/ports":   {"internal/domain", "internal/judging", "internal/ports"},
		"internal/scoring": {"internal/domain", "internal/scoring"},
		"internal/judging": {"internal/domain", "internal/judging"},
		"internal/app":     {"internal/domain", "internal/view", "internal/ports", "internal/scoring", "internal/judging", "internal/app"},
	}
	for _, p := range packages(t) {
		for layer, allowed := range core {
			if !under(p.path, layer) {
				continue
			}
			for _, imp := range p.imports {
				rel, isLocal := local(imp)
				switch {
				case isLocal:
					ok := false
					for _, a := range allowed {
						ok = ok || under(rel, a)
					}
					if !ok {
						t.Errorf("%s imports %s: the core must not depend on %s", p.path, rel, rel)
					}
				case layer == "internal/domain" || layer == "internal/view" || layer == "internal/ports" || layer == "internal/judging":
					if !stdlib(imp) {
						t.Errorf("%s imports %s: the domain, the views and the ports use the standard library only", p.path, imp)
					}
				case strings.Contains(imp, "labstack/echo") || strings.Contains(imp, "jackc/pgx") ||
					strings.Contains(imp, "spf13/cobra") || strings.Contains(imp, "riverqueue") || strings.Contains(imp, "openai"):
					t.Errorf("%s imports %s: frameworks and drivers belong in adapters", p.path, imp)
				}
			}
		}
		if a := adapterOf(p.path); a != "" {
			for _, imp := range p.imports {
				if rel, ok := local(imp); ok {
					if b := adapterOf(rel); b != "" && b != a {
						t.Errorf("%s imports %s: adapters never import each other; the composition root wires them", p.path, rel)
					}
				}
			}
		}
		for _, imp := range p.imports {
			rel, isLocal := local(imp)
			pgxOrSQL := strings.HasPrefix(imp, "github.com/jackc/pgx") || (isLocal && strings.HasPrefix(rel, "internal/adapters/postgres/internal/"))
			// The Postgres adapter owns pgx; the composition root holds the pool it
			// builds; test support and the benchmark talk to the database directly.
			if pgxOrSQL && adapterOf(p.path) != "postgres" && !under(p.path, "cmd") &&
				!under(p.path, "internal/testdb") && !under(p.path, "internal/faulttest") {
				t.Errorf("%s imports %s: only internal/adapters/postgres uses pgx and the generated SQL code", p.path, imp)
			}
		}
	}
}
