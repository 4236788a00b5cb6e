// Command sidebyside is `make bench`: it builds benji-mock (default
// configuration: request and response validation, journal and logging on)
// and the bare reference server, starts both on loopback, loads them
// alternately with wrk (a separate process) in several rounds at fixed
// concurrency with the same valid Transfer body, and prints throughput,
// latency percentiles, errors and the mock/reference ratio. It also reports
// the mock's time to a healthy /healthz and its resident memory after the
// load.
//
// With -proxy (`make bench-proxy`) the mock runs in proxy mode in front of
// the reference server, and the comparison is of requests through the proxy
// against requests straight to the same upstream: the proxy's overhead.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

type result struct {
	// CPU is the server's CPU time (user+system) during the load.
	CPU        time.Duration `json:"-"`
	Requests   int64         `json:"requests"`
	DurationUS int64         `json:"duration_us"`
	P50US      int64         `json:"p50_us"`
	P99US      int64         `json:"p99_us"`
	P999US     int64         `json:"p999_us"`
	Errors     int64         `json:"errors"`
	Non2xx     int64         `json:"non2xx"`
}

func (r result) rps() float64 { return float64(r.Requests) / (float64(r.DurationUS) / 1e6) }

// cpuPerRequest is the server's CPU time per request: unlike req/s, it does
// not move when other work on the machine takes cores away.
func (r result) cpuPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

type server struct {
	name      string
	addr      string
	pprofAddr string
	cmd       *exec.Cmd
	runs      []result
}

func main() {
	rounds := flag.Int("rounds", 7, "rounds; each loads both servers once")
	duration := flag.Duration("duration", 5*time.Second, "length of each load")
	connections := flag.Int("connections", 32, "concurrent connections")
	threads := flag.Int("threads", 1, "wrk threads")
	mockArgs := flag.String("mock-args", "", "extra benji-mock flags, for finding where the time goes (e.g. \"--log-level warn\")")
	profile := flag.String("profile", "", "after the rounds, load each server once more while taking a CPU profile into this folder, and print CPU time per request by function")
	gogc := flag.String("gogc", "", "run both servers with this GOGC; by default each keeps its own (benji-mock 400, the reference Go's 100)")
	proxy := flag.Bool("proxy", false, "run the mock as a proxy in front of the reference (--upstream) and compare requests through it with requests straight to the reference")
	bareProxy := flag.Bool("bare-proxy", false, "with -proxy, put a bare net/http/httputil reverse proxy where the mock would be: the yardstick of a Go proxy's cost")
	flag.Parse()
	args := strings.Fields(*mockArgs)
	if *proxy {
		args = append(args, "--upstream", "http://"+referenceAddr)
	}
	if *bareProxy && !*proxy {
		fmt.Fprintln(os.Stderr, "bench: -bare-proxy needs -proxy")
		os.Exit(2)
	}
	if *bareProxy {
		args = []string{"--proxy-to", "http://" + referenceAddr}
	}
	if err := run(*rounds, *duration, *connections, *threads, args, *profile, *gogc, *proxy, *bareProxy); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// referenceAddr is where the reference server listens.
const referenceAddr = "127.0.0.1:4021"

func run(rounds int, duration time.Duration, connections, threads int, mockArgs []string, profileDir, gogc string, proxy, bareProxy bool) error {
	if rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "benji-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, b := range [][2]string{{"benji-mock", "./cmd/benji-mock"}, {"reference", "./bench/reference"}} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1]).CombinedOutput()
		if err != nil {
			return fmt.Errorf("build %s: %v\n%s", b[1], err, out)
		}
	}
	script, err := filepath.Abs("bench/sidebyside/report.lua")
	if err != nil {
		return err
	}

	mock := &server{name: "benji-mock", addr: "127.0.0.1:4020", pprofAddr: "127.0.0.1:4022"}
	ref := &server{name: "reference", addr: referenceAddr, pprofAddr: "127.0.0.1:4023"}
	if proxy {
		mock.name, ref.name = "proxy", "upstream"
	}
	logFile, err := os.Create(filepath.Join(dir, "mock.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	mockBin := "benji-mock"
	if bareProxy {
		mockBin = "reference"
		mock.name = "bare-proxy"
	}
	mock.cmd = exec.Command(filepath.Join(dir, mockBin), append([]string{"--addr", mock.addr, "--pprof-addr", mock.pprofAddr}, mockArgs...)...)
	mock.cmd.Stderr = logFile // the default text log, one line a request, kept on
	ref.cmd = exec.Command(filepath.Join(dir, "reference"), "--addr", ref.addr, "--pprof-addr", ref.pprofAddr)
	gcNote := "each its own GOGC"
	if gogc != "" {
		gcNote = "both GOGC=" + gogc
		for _, s := range []*server{mock, ref} {
			s.cmd.Env = append(os.Environ(), "GOGC="+gogc)
		}
	}
	var startup time.Duration
	for _, s := range []*server{mock, ref} {
		start := time.Now()
		if err := s.cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		defer s.cmd.Process.Kill()
		if err := waitHealthy(s.addr); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if s == mock {
			startup = time.Since(start)
		}
	}

	fmt.Printf("machine: %d cores; wrk -t%d -c%d, %d rounds of %s per server, alternating; benji-mock %s; %s\n",
		runtime.NumCPU(), threads, connections, rounds, duration, strings.Join(append([]string{"defaults"}, mockArgs...), " "), gcNote)
	for _, s := range []*server{mock, ref} { // warm-up, not counted
		if _, err := load(s.addr, script, time.Second, connections, threads); err != nil {
			return err
		}
	}
	for i := range rounds {
		order := []*server{mock, ref}
		if i%2 == 1 {
			order = []*server{ref, mock}
		}
		for _, s := range order {
			before := cpuTime(s.cmd.Process.Pid)
			r, err := load(s.addr, script, duration, connections, threads)
			if err != nil {
				return err
			}
			r.CPU = cpuTime(s.cmd.Process.Pid) - before
			s.runs = append(s.runs, r)
		}
		fmt.Printf("round %d: %s %8.0f req/s %6s CPU/req   %s %8.0f req/s %6s CPU/req   ratio %.2f\n",
			i+1, mock.name, mock.runs[i].rps(), mock.runs[i].cpuPerRequest(), ref.name, ref.runs[i].rps(), ref.runs[i].cpuPerRequest(), mock.runs[i].rps()/ref.runs[i].rps())
	}

	fmt.Printf("\n%-11s %10s %9s %9s %9s %9s %8s %8s\n", "server", "req/s", "p50", "p99", "p99.9", "CPU/req", "errors", "non-2xx")
	for _, s := range []*server{mock, ref} {
		m := median(s.runs)
		fmt.Printf("%-11s %10.0f %9s %9s %9s %9s %8d %8d\n", s.name, m.rps(), us(m.P50US), us(m.P99US), us(m.P999US), medianCPU(s.runs),
			sum(s.runs, func(r result) int64 { return r.Errors }), sum(s.runs, func(r result) int64 { return r.Non2xx }))
	}
	ratio := median(mock.runs).rps() / median(ref.runs).rps()
	if proxy {
		fmt.Printf("\nratio through the proxy/straight to the upstream (median req/s): %.2f\n", ratio)
	} else {
		verdict := "met"
		if ratio < 0.8 {
			verdict = "NOT met"
		}
		fmt.Printf("\nratio mock/reference (median req/s): %.2f  (target 0.80: %s)\n", ratio, verdict)
	}
	fmt.Printf("ratio reference/mock CPU per request (median): %.2f\n", float64(medianCPU(ref.runs))/float64(medianCPU(mock.runs)))
	perRound := make([]float64, len(mock.runs))
	for i := range mock.runs {
		perRound[i] = mock.runs[i].rps() / ref.runs[i].rps()
	}
	slices.Sort(perRound)
	fmt.Printf("ratio per round: lowest %.2f, median %.2f, highest %.2f\n", perRound[0], perRound[len(perRound)/2], perRound[len(perRound)-1])
	served := sum(mock.runs, func(r result) int64 { return r.Requests })
	fmt.Printf("mock startup to healthy /healthz: %s\n", startup.Round(time.Millisecond))
	fmt.Printf("mock resident memory after %d requests: %s\n", served, rss(mock.cmd.Process.Pid))
	if profileDir == "" {
		return nil
	}
	for _, s := range []*server{mock, ref} {
		if err := profileLoad(s, profileDir, script, duration, connections, threads); err != nil {
			return err
		}
	}
	return nil
}

// profileLoad loads s once more while taking a CPU profile of it, saves the
// profile as DIR/NAME.pprof, and prints each function's cumulative CPU time
// divided by the requests of that load.
func profileLoad(s *server, dir, script string, duration time.Duration, connections, threads int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, s.name+".pprof")
	seconds := max(int(duration.Seconds())-1, 1)
	fetched := make(chan error, 1)
	go func() {
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprofAddr, seconds))
		if err != nil {
			fetched <- err
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err == nil {
			err = os.WriteFile(path, data, 0o644)
		}
		fetched <- err
	}()
	r, err := load(s.addr, script, duration, connections, threads)
	if err != nil {
		return err
	}
	if err := <-fetched; err != nil {
		return fmt.Errorf("profile %s: %w", s.name, err)
	}
	// The profile covers `seconds` of the load, at the load's request rate.
	requests := r.rps() * float64(seconds)
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount", "80", path).Output()
	if err != nil {
		return fmt.Errorf("go tool pprof %s: %w", path, err)
	}
	fmt.Printf("\n%s: CPU per request by function (cumulative), from %s over %.0f requests\n", s.name, path, requests)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		cum, err := time.ParseDuration(f[3])
		if err != nil {
			continue
		}
		fmt.Printf("  %9s  %s\n", (cum / time.Duration(requests)).Round(10*time.Nanosecond), strings.Join(f[5:], " "))
	}
	return nil
}

func waitHealthy(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("not healthy within 10s")
}

func load(addr, script string, d time.Duration, connections, threads int) (result, error) {
	cmd := exec.Command("wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(connections),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "-s", script, "http://"+addr+"/verify/token/create")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			var r result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				return result{}, fmt.Errorf("wrk result %q: %w", line, err)
			}
			return r, nil
		}
	}
	return result{}, fmt.Errorf("wrk printed no result:\n%s", out)
}

// median returns the run with the median throughput.
func median(runs []result) result {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.rps(), b.rps()) })
	return sorted[len(sorted)/2]
}

func sum(runs []result, f func(result) int64) (n int64) {
	for _, r := range runs {
		n += f(r)
	}
	return n
}

func us(v int64) string { return (time.Duration(v) * time.Microsecond).String() }

func rss(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func medianCPU(runs []result) time.Duration {
	cpu := make([]time.Duration, len(runs))
	for i, r := range runs {
		cpu[i] = r.cpuPerRequest()
	}
	slices.Sort(cpu)
	return cpu[len(cpu)/2]
}

// cpuTime reads a process's user+system CPU time from /proc/PID/stat.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}
