package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bare is the yardstick: the same call with nothing but net/http.
const bare = `package main

import (
	"net/http"
	"os"
)

func main() {
	resp, err := http.Post(os.Getenv("BENJI_BASE_URL")+"/verify/token/create", "application/json", nil)
	if err != nil {
		os.Exit(1)
	}
	resp.Body.Close()
}
`

// What the client costs a partner's binary: the consumer, built as a
// service would be (CGO_ENABLED=0), is at most 1.3 times a bare net/http
// program built the same way.
func TestConsumerStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"go.mod": "module bare\n\ngo 1.26\n", "main.go": bare} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	size := func(name, pkgDir string) int64 {
		out := filepath.Join(t.TempDir(), name)
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = pkgDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, msg)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	consumer, reference := size("consumer", "."), size("bare", dir)
	ratio := float64(consumer) / float64(reference)
	t.Logf("consumer %d bytes, bare net/http %d bytes: %.2fx", consumer, reference, ratio)
	if ratio > 1.3 {
		t.Errorf("the consumer is %.2f times a bare net/http program, over 1.3: check go list -deps ./client", ratio)
	}
}
