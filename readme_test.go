package benji_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// maxReadmeBytes keeps README.md a front page; reference goes to docs/.
const maxReadmeBytes = 12_000

func TestReadmeIsAFrontPage(t *testing.T) {
	info, err := os.Stat("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > maxReadmeBytes {
		t.Errorf("README.md is %d bytes, want at most %d: move reference to docs/", info.Size(), maxReadmeBytes)
	}
}

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} +(.+)$`)
)

// anchor is the id GitHub gives a heading: lower case, punctuation dropped,
// spaces as hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Every relative link of the README and the docs names a file that exists
// and, after a #, a heading of that file.
func TestDocsLinksResolve(t *testing.T) {
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, "README.md", "CHANGELOG.md")
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a := map[string]bool{}
		for _, m := range heading.FindAllStringSubmatch(string(text), -1) {
			a[anchor(m[1])] = true
		}
		anchors[path] = a
		return a
	}
	links := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			file, frag, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s links to %s, which does not exist", page, target)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(path, ".md") && !anchorsOf(path)[frag] {
				t.Errorf("%s links to %s: %s has no heading #%s", page, target, path, frag)
			}
		}
	}
	if links < 10 {
		t.Fatalf("found %d relative links in %d pages: the test would prove nothing", links, len(pages))
	}
}

// The client snippet of the README and docs/client.md is a copy of the
// client's Example, which runs with the tests.
func TestReadmeClientSnippetIsTheExample(t *testing.T) {
	src, err := os.ReadFile("client/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	const first, last = `	c, err := client.New("partner-access-token"`, "\t// Output:"
	body := string(src)
	start := strings.Index(body, "func Example() {")
	if start < 0 {
		t.Fatal("client/example_test.go has no func Example")
	}
	body = body[start:]
	from, to := strings.Index(body, first), strings.Index(body, last)
	if from < 0 || to < from {
		t.Fatalf("Example does not run from %q to %q", first, last)
	}
	want := strings.ReplaceAll(body[from:to], "\n\t", "\n")[1:]
	for _, page := range []string{"README.md", "docs/client.md"} {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(text), "```go\n"+strings.TrimPrefix(first, "\t"))
		if i < 0 {
			t.Errorf("%s has no Go block starting %q", page, strings.TrimPrefix(first, "\t"))
			continue
		}
		block := string(text[i+len("```go\n"):])
		block = block[:strings.Index(block, "```")]
		if block != want {
			line := 0
			for line < min(len(block), len(want)) && block[line] == want[line] {
				line++
			}
			t.Errorf("%s's client snippet is not a copy of client.Example: they part at %.80q, where Example has %.80q", page, block[line:], want[line:])
		}
	}
}
