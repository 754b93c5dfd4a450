package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonClient installs clients/python with pip, as a user would, and runs its
// tests against the real server with Debian's python3. Only the standard library
// is needed, so nothing is downloaded: the package installs without build
// isolation from the setuptools that python3 ships with.
func TestPythonClient(t *testing.T) {
	if testing.Short() {
		t.Skip("the Python client's tests run the server; skipped by -short")
	}
	// Debian's python3 first: a PATH may put another interpreter (pyenv's, a
	// virtualenv's) ahead of it, without the setuptools and wheel Debian ships.
	python, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		python, err = exec.LookPath("python3")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is not installed; the Python client cannot be tested")
		}
		t.Skip("python3 is not installed")
	}
	src, err := filepath.Abs("../../clients/python")
	if err != nil {
		t.Fatal(err)
	}
	site := t.TempDir()
	install := exec.Command(python, "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation",
		"--disable-pip-version-check", "--target", site, src)
	install.Dir = t.TempDir() // no build litter in the source tree
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("pip install ./clients/python: %v\n%s", err, out)
	}
	s := startServer(t, "PY_JUDGE_KEY=sk-python-judge")
	key := createKey(t, s.env, "admin")
	// Run the tests from a copy of the test folder, so that the package is imported
	// from where pip installed it, not from the source tree.
	tests := t.TempDir()
	for _, name := range []string{"test_server.py", "test_protocol.py"} {
		b, err := os.ReadFile(filepath.Join(src, "tests", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tests, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(python, "-m", "unittest", "discover", "-v", "-s", tests)
	cmd.Dir = tests
	cmd.Env = append(os.Environ(), "PYTHONPATH="+site, "PYTHONDONTWRITEBYTECODE=1", "RLHF_URL="+s.base, "RLHF_API_KEY="+key)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python tests failed: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "skipped") {
		t.Fatalf("python tests were skipped, not run:\n%s", out)
	}
	t.Logf("%s", out)
}
