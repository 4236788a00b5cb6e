package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// watchSignals hands SIGINT and SIGTERM to handleSignals until the returned
// release is called; release returns once handleSignals has, so that nothing
// logs after it.
func watchSignals(logger *slog.Logger, drain, stop func()) (release func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		handleSignals(sigs, logger, drain, stop)
		// After the second signal, a third one gets Go's default: the
		// process ends at once.
		signal.Stop(sigs)
	}()
	return func() {
		signal.Stop(sigs)
		close(sigs) // safe: once Stop returns, no more signals are sent on sigs
		<-done
	}
}

// handleSignals calls drain on the first signal from sigs, to start a
// graceful shutdown, and stop on the second, for someone who will not wait
// for the drain. It returns after the second signal or when sigs is closed.
func handleSignals(sigs <-chan os.Signal, logger *slog.Logger, drain, stop func()) {
	sig, ok := <-sigs
	if !ok {
		return
	}
	logger.Info("signal: draining; a second signal stops now", "signal", sig.String())
	drain()
	sig, ok = <-sigs
	if !ok {
		return
	}
	logger.Warn("second signal: stopping now", "signal", sig.String())
	stop()
}
